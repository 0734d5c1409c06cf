/**
 * Ids, versions and counts are PostgreSQL `integer`s. A larger number in a request must be refused
 * by the schema that reads it, with a message, not by the database with "out of range" (a 500).
 */
export const MAX_DB_INT = 2_147_483_647;
