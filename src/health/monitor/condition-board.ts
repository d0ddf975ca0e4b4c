/**
 * The board the request path reads: one BackendCondition per monitored backend (health, load,
 * schedule), replaced whole on every change and never mutated, plus the count of queries
 * routed since the last load poll (in-flight.ts) that least_load adds to the polled load.
 */
import type { BackendCondition, BackendConditions } from '../../routing/engine.js';
import { InFlightCounter } from '../in-flight.js';
import { inFlightWeight, loadScore, type LoadWeights } from '../load-weights.js';
import type { Watched } from './watched.js';

export class ConditionBoard {
  private readonly conditionMap = new Map<string, BackendCondition>();
  private readonly inFlight = new InFlightCounter();

  constructor(private readonly loadWeights: LoadWeights) {}

  get conditions(): BackendConditions {
    return this.conditionMap;
  }

  /** Rebuilds the backend's entry from what is known about it. */
  post(watched: Watched): void {
    this.conditionMap.set(watched.backend.name, this.conditionOf(watched));
  }

  forget(name: string): void {
    this.conditionMap.delete(name);
    this.inFlight.forget(name);
  }

  /** One submission was routed to the backend. */
  recordSubmission(backend: string): void {
    this.inFlight.record(backend);
  }

  /** Marks the start of a load poll (see InFlightCounter). */
  mark(backend: string): number {
    return this.inFlight.mark(backend);
  }

  /** A poll that started at `mark` is over. */
  settle(backend: string, mark: number): void {
    this.inFlight.settle(backend, mark);
  }

  inFlightCount(backend: string): number {
    return this.inFlight.count(backend);
  }

  polledScore(watched: Watched): number {
    const load = watched.load;
    return load === undefined ? 0 : loadScore(load.running, load.queued, this.loadWeights);
  }

  /**
   * Queries left on the backend, when the latest round could read its load. A drained backend
   * stays drained when it stops answering (operators stop it once drained): nothing new was
   * sent to it since it had no query left.
   */
  remaining(watched: Watched): number | undefined {
    const inFlight = this.inFlight.count(watched.backend.name);
    if (watched.load === undefined || watched.loadError !== null) return watched.state === 'drained' && inFlight === 0 ? 0 : undefined;
    return watched.load.running + watched.load.queued + inFlight;
  }

  private conditionOf(watched: Watched): BackendCondition {
    const inFlight = this.inFlight.count(watched.backend.name);
    const polledLoad = this.polledScore(watched);
    const load = watched.load;
    return {
      health: watched.track.health,
      load: polledLoad + inFlight * inFlightWeight(this.loadWeights),
      inSchedule: watched.inSchedule,
      inFlight,
      polledLoad,
      ...(load === undefined || watched.loadReadAt === undefined
        ? {}
        : { running: load.running + load.queued, runningReadAt: watched.loadReadAt, runningByUser: load.byUser }),
    };
  }
}
