/**
 * The staff API as the 人员管理 screen uses it (api/routes/staff.ts): the staff in the caller's
 * street, creating, changing and disabling them, and resetting a password. The server decides who
 * may do what (minqing.may_manage_staff); this only asks and shows its answers.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { InferRequestType, InferResponseType } from 'hono/client';
import { client, unwrap } from '../api';

export type StaffMember = InferResponseType<typeof client.api.staff.$get, 200>['staff'][number];
export type NewStaff = InferRequestType<typeof client.api.staff.$post>['json'];
export type StaffChange = InferRequestType<(typeof client.api.staff)[':id']['$patch']>['json'];

const STAFF_KEY = ['staff'] as const;

export function useStaffList() {
  return useQuery({ queryKey: STAFF_KEY, queryFn: async () => unwrap(await client.api.staff.$get({ query: {} })) });
}

/** Each change re-reads the list (and the caller's own record, which the header shows). */
function useStaffMutation<A, R>(fn: (args: A) => Promise<R>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: STAFF_KEY }),
  });
}

export const useCreateStaff = () => useStaffMutation(async (json: NewStaff) => unwrap(await client.api.staff.$post({ json })));

export const useChangeStaff = () =>
  useStaffMutation(async ({ id, change }: { id: number; change: StaffChange }) =>
    unwrap(await client.api.staff[':id'].$patch({ param: { id: String(id) }, json: change })),
  );

export const useResetPassword = () =>
  useStaffMutation(async (id: number) => unwrap(await client.api.staff[':id']['password-reset'].$post({ param: { id: String(id) } })));
