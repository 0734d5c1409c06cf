import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { cssVariables } from '../../geo/style/palette';
import { ApiRequestError, useAuthConfig, useMe } from './api';
import { App } from './app';
import { ChangePasswordPage } from './auth/change-password';
import { mustChangePassword, onSessionEnd, useSession } from './auth/session';
import { useSupabaseRefresh } from './auth/sign-in';
import { SignInPage } from './auth/sign-in-page';
import { LocaleProvider } from './i18n/locale';
import { MeetingView, meetingParams } from './meeting/meeting-view';
import { InstallationPage } from './setup/installation-page';
import { useSetupNeeded } from './setup/setup-api';
import { SetupPage } from './setup/setup-page';
import './styles.css';

// The stylesheet's colours are the palette's (var(--mq-…)): on :root before anything is drawn.
for (const [name, value] of Object.entries(cssVariables())) document.documentElement.style.setProperty(name, value);

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx (forbidden, signed out, bad input) will not change on a second try.
      retry: (failures, error) => !(error instanceof ApiRequestError && error.status < 500) && failures < 1,
      refetchOnWindowFocus: false,
    },
  },
});

// Nothing one account fetched may be shown to the next one to sign in on this browser.
onSessionEnd(() => queryClient.clear());

function Root() {
  const { session } = useSession();
  const authConfig = useAuthConfig();
  useSupabaseRefresh(authConfig.data);
  const setup = useSetupNeeded();
  const me = useMe();
  // An empty installation opens at its setup; on Supabase, once signed in there.
  if (setup.data?.needed && (setup.data.mode === 'local' || session)) return <SetupPage mode={setup.data.mode} />;
  if (!session) return setup.isPending ? null : <SignInPage />;
  if (mustChangePassword(session)) return <ChangePasswordPage />;
  if (me.data?.installationAdmin) return <InstallationPage me={me.data} />;
  const meeting = meetingParams(window.location.search);
  return meeting ? <MeetingView month={meeting.month} communityId={meeting.communityId} /> : <App />;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <LocaleProvider>
        <Root />
      </LocaleProvider>
    </QueryClientProvider>
  </StrictMode>,
);
