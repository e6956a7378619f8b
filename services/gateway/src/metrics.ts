import { metricsRegistry, promClient } from '@fillsched/service-kit';

// Reuse an existing metric: jest module registries and several app instances share prom-client's registry.
function getOrCreate<M>(name: string, make: () => M): M {
  return (metricsRegistry.getSingleMetric(name) as M | undefined) ?? make();
}

export const wsConnections = getOrCreate(
  'gateway_ws_connections',
  () => new promClient.Gauge({ name: 'gateway_ws_connections', help: 'Open WebSocket connections' }),
);

export const wsChannels = getOrCreate(
  'gateway_ws_channels',
  () =>
    new promClient.Gauge({
      name: 'gateway_ws_channels',
      help: 'Channels (schedule/comparison ids) with at least one watching socket, i.e. NATS subscription sets',
    }),
);

export const rateLimited = getOrCreate(
  'gateway_rate_limited_total',
  () =>
    new promClient.Counter({
      name: 'gateway_rate_limited_total',
      help: 'Requests refused with 429, by client kind',
      labelNames: ['client'],
    }),
);
