/** The console tests serve the built page: build it once per run (esbuild, well under a second). */
// @ts-expect-error: a plain ES module script without type declarations
import { buildConsole } from '../../scripts/build-console.mjs';

export default async function setup(): Promise<void> {
  await (buildConsole as () => Promise<string>)();
}
