/** Backend health, load and schedules: the monitor and what it tells the router. */
export { HealthMonitor, monitorSettingsOf, type HealthMonitorOptions, type MonitorSettings, type RoutingView } from './monitor.js';
export { ScheduleGate } from './schedule-gate.js';
export { systemClock, type Clock } from './clock.js';
export { DEFAULT_LOAD_WEIGHTS, type LoadWeights } from './load-weights.js';
export type { BackendLoad, BackendState, BackendStateChange, BackendStatus, DrainProgress, HealthStatusSource } from './status.js';
