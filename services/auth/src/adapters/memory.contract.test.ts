import { authRepositoryContract } from '../repositories.contract';
import {
  MemoryApiKeyRepository,
  MemoryRefreshTokenRepository,
  MemorySigningKeyRepository,
  MemoryUserRepository,
} from './memory';

authRepositoryContract('memory', async () => ({
  users: new MemoryUserRepository(),
  refreshTokens: new MemoryRefreshTokenRepository(),
  signingKeys: new MemorySigningKeyRepository(),
  apiKeys: new MemoryApiKeyRepository(),
}));
