import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Small facts a node keeps about itself across restarts. */
@Injectable()
export class NodeMetaRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Counts this start and returns the count. It becomes part of every ballot
   * this run makes, so ballots never repeat across restarts.
   */
  async nextBoot(): Promise<number> {
    const rows: Array<{ value: string }> = await this.dataSource.query(
      `INSERT INTO node_meta (name, value) VALUES ('boot', '1')
       ON CONFLICT (name) DO UPDATE SET value = (node_meta.value::bigint + 1)::text
       RETURNING value`,
    );
    return Number(rows[0]!.value);
  }

  /**
   * This database's identity, made on its first use. A node whose incarnation
   * is new has a new (or wiped) database: it remembers no promise it made.
   */
  async incarnation(): Promise<string> {
    await this.dataSource.query(
      `INSERT INTO node_meta (name, value) VALUES ('incarnation', gen_random_uuid()::text) ON CONFLICT (name) DO NOTHING`,
    );
    return (await this.get('incarnation'))!;
  }

  async get(name: string): Promise<string | undefined> {
    const rows: Array<{ value: string }> = await this.dataSource.query('SELECT value FROM node_meta WHERE name = $1', [name]);
    return rows[0]?.value;
  }

  async set(name: string, value: string): Promise<void> {
    await this.dataSource.query(
      'INSERT INTO node_meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value',
      [name, value],
    );
  }
}
