/**
 * ExplainService: the serving router's decision for a described request, with its reasons.
 */
import type {
  ExplainRequest,
  ExplainResponse,
  ExplainServiceService,
  RequestFacts as ApiRequestFacts,
  StatementFacts as ApiStatementFacts,
} from '../../gen/trino_envoy_router/admin/v1/admin.js';
import type { HeaderList } from '../../trino/header-list.js';
import { explainRequest, type Explanation } from '../../routing/explain.js';
import { labeledFacts } from '../../routing/matchers.js';
import type { RequestFacts } from '../../routing/model.js';
import { tableText } from '../../routing/statement-view.js';
import type { StatementOutcome } from '../../statement/facts.js';
import type { Incoming } from '../../routing/request-router.js';
import type { Handlers } from '../call.js';
import type { AdminDeps } from '../deps.js';
import { InvalidArgumentError } from '../errors.js';
import { HEADER_NAME_PATTERN } from '../../routing/validate.js';



export function explainHandlers(deps: AdminDeps): Handlers<typeof ExplainServiceService> {
  return {
    explain: async (request) => explanationToApi(await explainRequest(deps.router, incomingOf(request))),
  };
}

/** The request as Envoy would hand it to the router: lower-case names, pseudo-headers first. */
export function incomingOf(request: ExplainRequest): Incoming {
  const method = request.method === '' ? 'POST' : request.method;
  const path = request.path === '' ? '/v1/statement' : request.path;
  if (!path.startsWith('/')) throw new InvalidArgumentError('path', `expected a path starting with "/", got ${JSON.stringify(path)}`);
  const headers: [string, string][] = [[':method', method], [':path', path]];
  request.headers.forEach((header, i) => {
    if (!HEADER_NAME_PATTERN.test(header.name.startsWith(':') ? header.name.slice(1) : header.name)) throw new InvalidArgumentError(`headers[${i}].name`, `not a header name: ${JSON.stringify(header.name)}`);
    const name = header.name.toLowerCase();
    if (name === ':method' || name === ':path') throw new InvalidArgumentError(`headers[${i}].name`, `give ${name.slice(1)} in its own field`);
    headers.push([name, header.value]);
  });
  const port = request.listenerPort;
  if (port !== undefined && (port < 1 || port > 65535)) throw new InvalidArgumentError('listener_port', `expected 1-65535, got ${port}`);
  if (request.sql === undefined) return { headers: headers as HeaderList, listenerPort: port };
  const bytes = Buffer.from(request.sql, 'utf8');
  return { headers: headers as HeaderList, listenerPort: port, body: { bytes, complete: true, sent: true } };
}

function statementToApi(outcome: StatementOutcome): ApiStatementFacts {
  const empty: ApiStatementFacts = {
    status: outcome.status, kind: '', tablesRead: [], tablesWritten: [], preparedStatement: '', parseMicros: 0, unknownReason: '', detail: '', truncated: false,
  };
  if (outcome.status === 'unknown') return { ...empty, kind: 'unknown', unknownReason: outcome.reason, detail: outcome.detail, truncated: outcome.reason === 'too_large' };
  const facts = outcome.facts;
  return {
    ...empty,
    kind: facts.kind,
    tablesRead: facts.tablesRead.map(tableText),
    tablesWritten: facts.tablesWritten.map(tableText),
    preparedStatement: facts.preparedStatement ?? '',
    parseMicros: outcome.parseMicros,
  };
}

export function explanationToApi(e: Explanation): ExplainResponse {
  return {
    revision: e.revision,
    outcome: e.outcome,
    mechanism: e.mechanism ?? '',
    backend: e.backend ?? '',
    backendCertain: e.backendCertain,
    candidates: [...e.candidates],
    group: e.group ?? '',
    rule: e.rule ?? '',
    fellBackFrom: [...e.fellBackFrom],
    facts: e.facts === undefined ? undefined : factsToApi(e.facts),
    rules: e.rules.map((r) => ({
      name: r.name,
      priority: r.priority,
      group: r.group,
      result: r.result,
      wouldMatch: r.wouldMatch,
      conditions: r.conditions.map((c) => ({ ...c })),
    })),
    groups: e.groups.map((g) => ({
      group: g.group,
      strategy: g.strategy,
      picked: g.picked ?? '',
      backends: g.backends.map((b) => ({
        backend: b.backend,
        eligible: b.eligible,
        reason: b.reason ?? '',
        health: b.condition.health,
        load: b.condition.load,
        inSchedule: b.condition.inSchedule,
        weight: b.weight,
      })),
    })),
    reply: e.reply === undefined ? undefined : { httpStatus: e.reply.status, reason: e.reply.reason, message: e.reply.message },
    summary: e.summary,
    rewrittenPath: e.rewrittenPath ?? '',
    statement: e.statement === undefined ? undefined : statementToApi(e.statement),
  };
}

function factsToApi(facts: RequestFacts): ApiRequestFacts {
  return {
    method: facts.method,
    path: facts.path,
    host: facts.host,
    listenerPort: facts.listenerPort,
    user: facts.user,
    source: facts.source,
    catalog: facts.catalog,
    schema: facts.schema,
    clientInfo: facts.clientInfo,
    clientTags: [...facts.clientTags],
    sessionProperties: Object.fromEntries(facts.sessionProperties),
    routingGroup: facts.routingGroup,
    headers: Object.fromEntries(facts.headers),
    labeled: labeledFacts(facts),
  };
}
