-- =============================================================================================
-- Local accounts (embedded and plain-PostgreSQL deployments)
-- On Supabase, GoTrue owns sign-in and this table stays empty. Elsewhere the API signs users in
-- itself and issues tokens with the same claim shape, so everything downstream — auth.uid(),
-- the policies — is identical. The table lives in the private `minqing` schema: no API role
-- can read it; only the login task (running as the owner) does.
-- =============================================================================================
create schema if not exists minqing;

create table minqing.local_accounts (
  user_id uuid primary key,
  email text not null unique check (email = lower(email)),
  -- scrypt$N$r$p$salt$hash (base64), see api/auth/password.ts
  password_hash text not null,
  created_at timestamptz not null default now()
);
revoke all on minqing.local_accounts from public;
