/** What the API returns for a key: never the storage row. */
export interface EntryDto {
  key: string;
  value: unknown;
  version: number;
  /** RFC 3339, UTC, with milliseconds; only on a key with a TTL. */
  expiresAt?: string;
}

export type BatchItemResultDto =
  | { key: string; status: 200 | 201; version: number; expiresAt?: string }
  | { key: string; status: number; error: string; message: string };

/** `{ expiresAt: "<RFC 3339 UTC>" }` for a key with an expiry, nothing for a permanent one: spread it into a response. */
export function expiryField(expiresAt: number | undefined): { expiresAt?: string } {
  return expiresAt === undefined ? {} : { expiresAt: new Date(expiresAt).toISOString() };
}
