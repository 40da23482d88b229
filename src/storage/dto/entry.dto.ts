/** What the API returns for a key: never the storage row. */
export interface EntryDto {
  key: string;
  value: unknown;
  version: number;
}

export type BatchItemResultDto =
  { key: string; status: 200 | 201; version: number } | { key: string; status: number; error: string; message: string };
