import { comparisonRepositoryContract } from '../comparison-repository.contract';
import { MemoryComparisonRepository } from './memory';

describe('MemoryComparisonRepository', () => {
  comparisonRepositoryContract(async () => new MemoryComparisonRepository());
});
