import { repositoryContract } from '../repos.contract';
import { MemoryResultRepository, MemoryScheduleRepository } from './memory';

repositoryContract('memory', async () => ({
  schedules: new MemoryScheduleRepository(),
  results: new MemoryResultRepository(),
}));
