import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Job runs that prove they are alive: a running row's owner renews heartbeat_at every few
 * seconds; a row whose heartbeat is stale is taken over by compare-and-set on `attempt`, and
 * only the holder of `claim_token` may renew or finish it (a presumed-dead owner that wakes up
 * writes nothing). Rows from before this migration get their start as their last heartbeat, so
 * any run left `running` by a crash is picked up.
 */
export class JobSlots1764000000021 implements MigrationInterface {
  name = 'JobSlots1764000000021';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query('ALTER TABLE job_runs ADD COLUMN heartbeat_at BIGINT NULL');
    await qr.query('ALTER TABLE job_runs ADD COLUMN attempt INT NOT NULL DEFAULT 1');
    await qr.query('ALTER TABLE job_runs ADD COLUMN claim_token VARCHAR(64) NULL');
    await qr.query('UPDATE job_runs SET heartbeat_at = started_at');
    await qr.query('CREATE INDEX ix_job_runs_status_heartbeat_at ON job_runs (status, heartbeat_at)');
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropIndex('job_runs', 'ix_job_runs_status_heartbeat_at');
    await qr.query('ALTER TABLE job_runs DROP COLUMN claim_token');
    await qr.query('ALTER TABLE job_runs DROP COLUMN attempt');
    await qr.query('ALTER TABLE job_runs DROP COLUMN heartbeat_at');
  }
}
