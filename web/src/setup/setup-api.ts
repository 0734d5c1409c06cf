/** The setup and installation calls (docs/setup.md), through the typed client. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { client, unwrap } from '../api';
import { useSession } from '../auth/session';

/** Whether the installation has no street yet: the first page is then the setup page. */
export function useSetupNeeded() {
  return useQuery({
    queryKey: ['setup'],
    queryFn: async () => unwrap(await client.api.setup.$get()),
    staleTime: Infinity,
  });
}

export type SetupBody = Parameters<typeof client.api.setup.$post>[0]['json'];

export async function setUpStreet(json: SetupBody) {
  return unwrap(await client.api.setup.$post({ json }));
}

/** The street leader's getting-started list; refetched with everything else after an import. */
export function useSetupChecklist(enabled: boolean) {
  const { session } = useSession();
  return useQuery({
    queryKey: ['setup', 'checklist'],
    queryFn: async () => unwrap(await client.api.setup.checklist.$get()),
    enabled: enabled && session !== null,
  });
}

export function useInstallationStreets() {
  return useQuery({
    queryKey: ['streets'],
    queryFn: async () => unwrap(await client.api.streets.$get()),
  });
}

export type NewStreet = Parameters<typeof client.api.streets.$post>[0]['json'];

export function useCreateStreet() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (json: NewStreet) => unwrap(await client.api.streets.$post({ json })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['streets'] }),
  });
}
