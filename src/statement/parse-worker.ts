/**
 * Pool worker: loads the grammar once, warms it up, then answers {id, sql, session} with an
 * outcome. ANTLR builds its prediction tables (DFA) on the parses that need them: a fresh
 * grammar's first statements take 10-25x longer than later ones (0.8 s against 35 ms for a
 * short INSERT on a loaded 2-core machine), long enough to blow the time budget. A few
 * statements of the common shapes parsed before `ready` pay that once, off the request path.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { analyzeStatement, type AnalyzeLimits } from './analyze.js';
import { loadTrinoGrammar } from './trino-grammar.js';
import type { WorkerRequest, WorkerReply } from './worker-protocol.js';

const limits = workerData as AnalyzeLimits;
const grammar = await loadTrinoGrammar();
const WARM_UP = [
  'WITH recent AS (SELECT a.id, sum(b.v) AS total FROM c.s.a JOIN c.s.b ON a.id = b.id WHERE a.d > DATE \'2020-01-01\' GROUP BY a.id HAVING count(*) > 1) SELECT * FROM recent ORDER BY total DESC LIMIT 10',
  'INSERT INTO c.s.t SELECT x, CAST(y AS varchar), CASE WHEN z IN (1, 2) THEN \'a\' ELSE \'b\' END FROM u LEFT JOIN v USING (k) UNION ALL SELECT 1, \'2\', \'3\'',
  'INSERT INTO "Events" VALUES (1, \'x\', NULL)',
  'CREATE TABLE IF NOT EXISTS c.s.n WITH (format = \'ORC\') AS SELECT * FROM (VALUES 1) AS t (a)',
  'DELETE FROM t WHERE a = 1', 'UPDATE t SET a = 2 WHERE b LIKE \'%x\'', 'SHOW TABLES FROM c.s', 'START TRANSACTION', 'COMMIT',
];
for (const sql of WARM_UP) analyzeStatement(grammar, sql, { preparedStatements: new Map() }, limits);
parentPort!.on('message', (req: WorkerRequest) => {
  const session = { catalog: req.catalog, schema: req.schema, preparedStatements: new Map(req.prepared) };
  const reply: WorkerReply = { id: req.id, outcome: analyzeStatement(grammar, req.sql, session, limits) };
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ ready: true });
