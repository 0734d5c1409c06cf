import type { Queryable } from '../../api/db/database';

/**
 * A PostgreSQL copy (`create database … template`) takes the template's contents but not its
 * ALTER DATABASE settings — among them the shim's search_path with `extensions`, where PostGIS
 * lives. Carries `from`'s settings over to `to`.
 */
export async function copyDatabaseSettings(admin: Queryable, from: string, to: string): Promise<void> {
  const settings = await admin.query<{ setting: string }>(
    `select unnest(s.setconfig) as setting from pg_db_role_setting s join pg_database d on d.oid = s.setdatabase
     where d.datname = $1 and s.setrole = 0`,
    [from],
  );
  for (const { setting } of settings) {
    const at = setting.indexOf('=');
    await admin.exec(`alter database ${to} set ${setting.slice(0, at)} to ${setting.slice(at + 1)}`);
  }
}
