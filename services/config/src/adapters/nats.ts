import { CONFIG_CHANGED_SUBJECT, type ConfigChangedNotice } from '@fillsched/contracts';
import { encodeJson, type NatsHandle } from '@fillsched/service-kit';
import type { ConfigChangeNotifier } from '../ports';

/** Core NATS notice to every owner replica (no queue group), flushed so it has left this process. */
export class NatsConfigChangeNotifier implements ConfigChangeNotifier {
  constructor(private readonly nc: NatsHandle['nc']) {}

  async changed(notice: ConfigChangedNotice): Promise<void> {
    this.nc.publish(CONFIG_CHANGED_SUBJECT, encodeJson(notice));
    await this.nc.flush();
  }
}
