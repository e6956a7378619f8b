import { templateRepositoryContract } from '../template-repository.contract';
import { userDefaultsRepositoryContract } from '../user-defaults-repository.contract';
import { MemoryTemplateRepository, MemoryUserDefaultsRepository } from './memory';

describe('MemoryTemplateRepository', () => {
  templateRepositoryContract(async () => new MemoryTemplateRepository());
});

describe('MemoryUserDefaultsRepository', () => {
  userDefaultsRepositoryContract(async () => new MemoryUserDefaultsRepository());
});
