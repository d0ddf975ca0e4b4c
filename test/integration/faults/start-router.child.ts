/**
 * Starts the router once per config path given on the command line and prints, per path, one
 * JSON line: {"started":true} or the error's name, code, message and context. Run by
 * store-faults.test.ts as an unprivileged user, where file permissions apply (they do not to root).
 */
import { pino } from 'pino';
import { startRouter } from '../../../src/app.js';

for (const configPath of process.argv.slice(2)) {
  try {
    const running = await startRouter({ configPath, logger: pino({ level: 'silent' }) });
    await running.close();
    process.stdout.write(`${JSON.stringify({ started: true })}\n`);
  } catch (error) {
    const e = error as Error & { code?: unknown; context?: unknown };
    process.stdout.write(`${JSON.stringify({ started: false, name: e.name, code: e.code, message: e.message, context: e.context })}\n`);
  }
}
