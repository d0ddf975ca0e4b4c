/**
 * A real PostgreSQL server for tests, the soak and the bench: Debian's `postgresql` package
 * (`apt-get install postgresql`), a new cluster in a temp folder on a loopback port, trust
 * authentication, no fsync (a throwaway). initdb refuses to run as root, so as root the
 * cluster belongs to the package's `postgres` user and every server command runs as it.
 * stop() and start() keep the folder and the port, so a test can take the database away and
 * bring it back.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './router-process.js';

const execFile = promisify(execFileCallback);

export interface ThrowawayPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Fast shutdown: connections are cut, as when the database goes away. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its folder. */
  destroy(): Promise<void>;
}

const INSTALL_HINT = 'PostgreSQL server binaries not found: install Debian\'s package (apt-get install -y postgresql), or set TER_TEST_PG_URL to a database the tests may use';

/** The newest /usr/lib/postgresql/<version>/bin that has initdb. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb'))) return bin;
  }
  throw new Error(INSTALL_HINT);
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await userIds('postgres') : undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'ter-pg-'));
  if (owner !== undefined) chownSync(dataDir, owner.uid, owner.gid);
  const run = async (command: string, args: readonly string[]): Promise<void> => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, command), ...args]] : [join(bin, command), [...args]];
    try {
      await execFile(file, argv, { cwd: dataDir, timeout: 60_000 });
    } catch (error) {
      const { stderr, stdout } = error as { stderr?: string; stdout?: string };
      throw new Error(`${command} failed: ${(stderr || stdout || String(error)).trim()}`);
    }
  };
  const cluster = join(dataDir, 'cluster');
  await run('initdb', ['-D', cluster, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
  const port = await freePort();
  const log = join(dataDir, 'server.log');
  const options = [
    `-p ${port}`, '-c listen_addresses=127.0.0.1', `-k ${dataDir}`,
    '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=200',
  ].join(' ');
  const start = () => run('pg_ctl', ['-D', cluster, '-l', log, '-o', options, '-w', '-t', '60', 'start']);
  const stop = () => run('pg_ctl', ['-D', cluster, '-m', 'fast', '-w', '-t', '60', 'stop']);
  await start();
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async stop() {
      await stop();
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      if (running) await stop().catch(() => {});
      running = false;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  try {
    const [uid, gid] = await Promise.all([execFile('id', ['-u', name]), execFile('id', ['-g', name])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new Error(`running as root, the PostgreSQL cluster needs the package's "${name}" user: ${INSTALL_HINT}`);
  }
}

/** `node --import tsx test/support/throwaway-postgres.ts <file>`: starts one, writes its URL to <file>, runs until killed. */
if (process.argv[1]?.endsWith('throwaway-postgres.ts') && process.argv[2] !== undefined) {
  const server = await startThrowawayPostgres();
  writeFileSync(process.argv[2], `${server.url}\n`);
  const shutdown = (): void => {
    void server.destroy().finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  setInterval(() => {}, 1 << 30);
}
