/** Pool worker: loads the grammar once, then answers {id, sql, session} with an outcome. */
import { parentPort, workerData } from 'node:worker_threads';
import { analyzeStatement, type AnalyzeLimits } from './analyze.js';
import { loadTrinoGrammar } from './trino-grammar.js';
import type { WorkerRequest, WorkerReply } from './worker-protocol.js';

const limits = workerData as AnalyzeLimits;
const grammar = await loadTrinoGrammar();
parentPort!.on('message', (req: WorkerRequest) => {
  const session = { catalog: req.catalog, schema: req.schema, preparedStatements: new Map(req.prepared) };
  const reply: WorkerReply = { id: req.id, outcome: analyzeStatement(grammar, req.sql, session, limits) };
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ ready: true });
