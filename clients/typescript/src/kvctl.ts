#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { KvClient, type VersionCondition } from './client';
import { NotFound, PreconditionFailed, RequestRejected, Unavailable } from './errors';
import { entriesTable, type OutputFormat, statusTable, summarize, watchLine } from './kvctl-output';
import type { ListedItem } from './wire';

/** Exit codes for scripts. 64 is EX_USAGE of sysexits.h. */
export const EXIT = { ok: 0, notFound: 1, preconditionFailed: 2, unavailable: 3, usage: 64 } as const;

/** A usage error found by kvctl itself (not by commander). */
class UsageError extends Error {}

interface GlobalOptions {
  endpoints?: string;
  output: OutputFormat;
  timeout?: number;
}

function program(write: (text: string) => void, writeError: (text: string) => void): Command {
  const kvctl = new Command('kvctl')
    .description(
      'kv-store from the command line: JSON out by default, exit codes 0 ok, 1 not found, 2 precondition failed, 3 unavailable, 64 usage',
    )
    .option('-e, --endpoints <urls>', 'node URLs, comma-separated (default: $KV_ENDPOINTS)')
    .addOption(
      new Option('-o, --output <format>', 'json, or table for people').choices(['json', 'table']).default('json'),
    )
    .option('--timeout <ms>', 'how long to wait for a node (default 30000)', whole('timeout', 1))
    .exitOverride()
    .showHelpAfterError('(kvctl --help lists the commands and options)');

  const client = (command: Command) => {
    const options = command.optsWithGlobals<GlobalOptions>();
    const endpoints = (options.endpoints ?? process.env.KV_ENDPOINTS ?? '')
      .split(',')
      .map((url) => url.trim())
      .filter((url) => url !== '');
    if (endpoints.length === 0) throw new UsageError('no endpoints: pass --endpoints URL,... or set KV_ENDPOINTS');
    try {
      return { client: new KvClient({ endpoints, timeoutMs: options.timeout }), output: options.output };
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  };
  const print = (output: OutputFormat, json: unknown, text: () => string) =>
    write(`${output === 'table' ? text() : JSON.stringify(json, null, 2)}\n`);

  kvctl
    .command('get')
    .description("read a key's value and version")
    .argument('<key>')
    .option('--local', "this node's copy only: faster, possibly stale")
    .action(async (key: string, options: { local?: boolean }, command: Command) => {
      const { client: kv, output } = client(command);
      const entry = await kv.get(key, options.local ? { consistency: 'local' } : {});
      print(output, entry, () => entriesTable([entry]));
    });

  kvctl
    .command('put')
    .description('create or replace a key; VALUE is JSON (a string needs its quotes: \'"text"\')')
    .argument('<key>')
    .argument('<value>', 'JSON', (text: string): unknown => {
      try {
        return JSON.parse(text);
      } catch {
        throw new InvalidArgumentError(`VALUE must be JSON (a string needs its quotes: '"${text}"')`);
      }
    })
    .option('--if-match <version>', 'only if the version is this one (*: only if the key exists)', condition)
    .option('--if-none-match', 'only if the key does not exist (create only)')
    .option('--ttl <seconds>', 'the key expires this many seconds later', whole('ttl', 1))
    .action(
      async (
        key: string,
        value: unknown,
        options: { ifMatch?: VersionCondition; ifNoneMatch?: boolean; ttl?: number },
        command: Command,
      ) => {
        const { client: kv, output } = client(command);
        const result = await kv.put(key, value, {
          ...(options.ifMatch === undefined ? {} : { ifMatch: options.ifMatch }),
          ...(options.ifNoneMatch ? { ifNoneMatch: '*' as const } : {}),
          ...(options.ttl === undefined ? {} : { ttlSeconds: options.ttl }),
        });
        print(output, result, () => entriesTable([result]));
      },
    );

  kvctl
    .command('del')
    .description('delete a key')
    .argument('<key>')
    .option('--if-match <version>', 'only if the version is this one', condition)
    .action(async (key: string, options: { ifMatch?: VersionCondition }, command: Command) => {
      const { client: kv, output } = client(command);
      await kv.delete(key, options.ifMatch === undefined ? {} : { ifMatch: options.ifMatch });
      print(output, { key, deleted: true }, () => `deleted ${key}`);
    });

  kvctl
    .command('list')
    .description('list present keys by prefix or range, in byte order (every page)')
    .option('--prefix <prefix>', 'keys that start with this')
    .option('--start <key>', 'from this key (inclusive)')
    .option('--end <key>', 'to this key (exclusive)')
    .option('--limit <n>', 'at most this many keys', whole('limit', 1))
    .option('--keys-only', 'without values')
    .option('--local', "this node's copy only: faster, possibly stale")
    .action(
      async (
        options: { prefix?: string; start?: string; end?: string; limit?: number; keysOnly?: boolean; local?: boolean },
        command: Command,
      ) => {
        const { client: kv, output } = client(command);
        const items: ListedItem[] = [];
        const pages = kv.listAll({
          ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
          ...(options.start === undefined ? {} : { start: options.start }),
          ...(options.end === undefined ? {} : { end: options.end }),
          ...(options.limit === undefined ? {} : { limit: Math.min(options.limit, 1000) }),
          ...(options.keysOnly ? { keysOnly: true } : {}),
          ...(options.local ? { consistency: 'local' as const } : {}),
        });
        for await (const item of pages) {
          if (options.limit !== undefined && items.length >= options.limit) break;
          items.push(item);
        }
        print(output, items, () => entriesTable(items));
      },
    );

  kvctl
    .command('watch')
    .description('print each change under a prefix as it happens, one JSON line each, until stopped (Ctrl-C)')
    .option('--prefix <prefix>', 'keys that start with this (default: every key)')
    .option('--after <id>', "resume after this event's id")
    .action(async (options: { prefix?: string; after?: string }, command: Command) => {
      const { client: kv, output } = client(command);
      const events = kv.watch({
        // On stderr, so that stdout holds only events: where it watches from, and after a failover.
        onStarted: (url, position) => writeError(`kvctl: watching on ${url} from ${position}\n`),
        ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
        ...(options.after === undefined ? {} : { lastEventId: options.after }),
      });
      for await (const event of events) write(`${output === 'table' ? watchLine(event) : JSON.stringify(event)}\n`);
    });

  kvctl
    .command('status')
    .description("each node, its role in the quorum, its peers' reachability and round-trip times")
    .action(async (_options: unknown, command: Command) => {
      const { client: kv, output } = client(command);
      const nodes = (await kv.status()).map(summarize);
      print(output, nodes, () => statusTable(nodes));
      if (nodes.every((node) => !node.reachable)) process.exitCode = EXIT.unavailable;
    });

  return kvctl;
}

/** A whole number option of at least `min`. */
function whole(name: string, min: number): (text: string) => number {
  return (text) => {
    if (!/^[0-9]+$/.test(text) || Number(text) < min)
      throw new InvalidArgumentError(`${name} must be a whole number from ${min}`);
    return Number(text);
  };
}

/** --if-match: a version, or *. */
function condition(text: string): VersionCondition {
  if (text === '*') return '*';
  if (!/^[0-9]+$/.test(text)) throw new InvalidArgumentError('a version is a whole number (or *)');
  return Number(text);
}

/** Runs kvctl with these arguments (after the program name) and says how it should exit. */
export async function run(
  args: readonly string[],
  write: (text: string) => void,
  writeError: (text: string) => void,
): Promise<number> {
  try {
    await program(write, writeError).parseAsync(args, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    // --help and --version end parsing with an "error" of exit code 0.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof UsageError) {
      writeError(`kvctl: ${error.message}\n`);
      return EXIT.usage;
    }
    writeError(`kvctl: ${(error as Error).message}\n`);
    if (error instanceof NotFound) return EXIT.notFound;
    if (error instanceof PreconditionFailed) return EXIT.preconditionFailed;
    if (error instanceof Unavailable) return EXIT.unavailable;
    // The store refused the request as given (a malformed key or value, a value too large).
    if (error instanceof RequestRejected) return EXIT.usage;
    throw error;
  }
}

if (require.main === module) {
  run(
    process.argv.slice(2),
    (text) => process.stdout.write(text),
    (text) => process.stderr.write(text),
  ).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error('kvctl: unexpected error:', error);
      process.exitCode = 70; // EX_SOFTWARE
    },
  );
}
