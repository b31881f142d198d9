import type { ClientSession, Collection, Document, UpdateFilter } from 'mongodb';

import type { Guard, StoredVersion, VersionStore } from './version-guard.js';

export declare const VERSION: '_version';
export declare const LAST_RECORD: '_lastRecordId';

/**
 * A read model in MongoDB, one document per key (`_id` = the record's key) holding `_version`: every change is one
 * conditional update on the version the guard read, setting the new version in the same write.
 */
export declare class MongoReadModel implements VersionStore {
  constructor(collection: Collection<any>);
  lastVersion(key: string): Promise<StoredVersion>;
  /**
   * Applies `update` (update operators) with the guard's version if the document is still at `guard.expected`
   * (created when that is null); false, writing nothing, if not. Return it from the handler.
   */
  apply(guard: Guard, update?: UpdateFilter<Document>, options?: { recordId?: string; session?: ClientSession }):
    Promise<boolean>;
  /**
   * Deletes the key's document as Java's read model writer does: its fields go, `_version` stays beside
   * `_deleted: true` (readers leave such documents out), so a redelivered older change cannot create it again.
   * Conditional on `guard.expected` as {@link apply}; return it from the handler.
   */
  remove(guard: Guard, options?: { recordId?: string; session?: ClientSession }): Promise<boolean>;
}
