import type { CloudEvent } from '@fillsched/contracts';
import { NatsJobPublisher as NatsSolveJobPublisher } from '@fillsched/job-owner';
import { publishEvent } from '@fillsched/service-kit';
import type { JobPublisher } from '../ports';

/** Solve jobs as every job owner publishes them, plus the comparison's aggregate event. */
export class NatsJobPublisher extends NatsSolveJobPublisher implements JobPublisher {
  async publishFinished(subject: string, event: CloudEvent): Promise<void> {
    await publishEvent(this.js, subject, event, this.opts);
  }
}
