/**
 * Parsers for option values. Each throws commander's InvalidArgumentError, which commander
 * reports with the option's name (exit code 2).
 */
import { InvalidArgumentError } from 'commander';
import type { GroupMember, Header, UptimeSchedule } from '../gen/trino_envoy_router/admin/v1/admin.js';

export function integer(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected an integer, got ${JSON.stringify(value)}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`integer out of range: ${value}`);
  return n;
}

export function nonNegativeInteger(value: string): number {
  const n = integer(value);
  if (n < 0) throw new InvalidArgumentError(`expected 0 or more, got ${value}`);
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got ${JSON.stringify(value)}`);
  return n;
}

export function port(value: string): number {
  const n = integer(value);
  if (n < 1 || n > 65535) throw new InvalidArgumentError(`expected a port 1-65535, got ${value}`);
  return n;
}

/** For repeatable options: collects every value in order. */
export function collect<T>(parse: (value: string) => T): (value: string, previous: T[] | undefined) => T[] {
  return (value, previous) => [...(previous ?? []), parse(value)];
}

export function text(value: string): string {
  return value;
}

/** `Name: value` as curl writes it. */
export function header(value: string): Header {
  const colon = value.indexOf(':', value.startsWith(':') ? 1 : 0);
  if (colon <= 0) throw new InvalidArgumentError(`expected "Name: value", got ${JSON.stringify(value)}`);
  return { name: value.slice(0, colon).trim(), value: value.slice(colon + 1).trim() };
}

/** `key=value`. */
export function keyValue(value: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got ${JSON.stringify(value)}`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

/** A group member: `backend` or `backend=weight`. */
export function member(value: string): GroupMember {
  const eq = value.lastIndexOf('=');
  if (eq < 0) return { backend: value, weight: undefined };
  const weight = Number(value.slice(eq + 1));
  if (value.slice(eq + 1).trim() === '' || !Number.isFinite(weight) || weight < 0) {
    throw new InvalidArgumentError(`expected backend or backend=weight (weight >= 0), got ${JSON.stringify(value)}`);
  }
  return { backend: value.slice(0, eq), weight };
}

/** A schedule: `<five cron fields>` or `<five cron fields>@<IANA zone>`. */
export function schedule(value: string): UptimeSchedule {
  const at = value.lastIndexOf('@');
  const cron = (at < 0 ? value : value.slice(0, at)).trim();
  const timeZone = at < 0 ? 'UTC' : value.slice(at + 1).trim();
  if (cron.split(/\s+/).length !== 5) throw new InvalidArgumentError(`expected "<minute> <hour> <day> <month> <weekday>[@<zone>]", got ${JSON.stringify(value)}`);
  return { cron, timeZone };
}

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A point in time: ISO 8601 (`2025-01-02T03:00:00Z`), or an age such as `90s`, `15m`, `2h`, `7d` ago. */
export function pointInTime(now: () => number): (value: string) => Date {
  return (value) => {
    const age = /^(\d+)([smhd])$/.exec(value.trim());
    if (age !== null) return new Date(now() - Number(age[1]) * (UNIT_MS[age[2] as string] as number));
    const date = new Date(value);
    if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
      throw new InvalidArgumentError(`expected an ISO 8601 time or an age like 15m, 2h, 7d; got ${JSON.stringify(value)}`);
    }
    return date;
  };
}

/** Seconds (fractions allowed) -> milliseconds. */
export function seconds(value: string): number {
  return Math.round(positiveNumber(value) * 1000);
}

/** A count of at least 1 (concurrency limits). */
export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, got ${JSON.stringify(value)}`);
  return parsed;
}
