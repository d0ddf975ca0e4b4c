/**
 * Adapts the SQLite ownership repository to the journal's sink: one transaction per batch.
 */
import type { OwnershipRepository } from '../store/ownership-repository.js';
import type { OwnershipChange } from './ownership.js';
import type { OwnershipSink } from './ownership-journal.js';

export function ownershipStoreSink(repository: OwnershipRepository): OwnershipSink {
  return {
    write(changes: readonly OwnershipChange[]) {
      repository.applyChanges(changes);
    },
  };
}
