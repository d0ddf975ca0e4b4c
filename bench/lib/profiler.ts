/**
 * CPU profiles of a measurement window only (not start-up): the V8 inspector's profiler, in
 * the process being measured, started and stopped over IPC. Writes a .cpuprofile that Chrome
 * DevTools or speedscope open.
 */
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';

let session: Session | undefined;

export async function startProfile(): Promise<null> {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return null;
}

export async function stopProfile({ path }: { path: string }): Promise<string> {
  if (session === undefined) throw new Error('no profile running');
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(path, JSON.stringify(profile));
  session.disconnect();
  session = undefined;
  return path;
}
