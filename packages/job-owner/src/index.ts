// What services that own solve jobs (schedule, comparison) share: the ports towards the config
// service and the solver pool, their NATS adapters, stream provisioning and the lifecycle consumer.
export * from './ports';
export * from './nats';
export * from './streams';
export * from './consumer';
export * from './create';
export * from './config-cache';
export * from './events';
export * from './owned';
export * from './work';
export * from './workload';
