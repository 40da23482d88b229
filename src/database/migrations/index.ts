import { InitialSchema1764150000000 } from './1764150000000-initial-schema';
import { RegisterLineage1796406256000 } from './1796406256000-register-lineage';
import { ListableRegisters1796500000000 } from './1796500000000-listable-registers';
import { RegisterExpiry1796600000000 } from './1796600000000-register-expiry';
import { ChangeFeed1796700000000 } from './1796700000000-change-feed';
import { CatchUpStaging1796800000000 } from './1796800000000-catch-up-staging';

/** Every migration, in order. Applied at boot; `synchronize` is never used. */
export const migrations = [
  InitialSchema1764150000000,
  RegisterLineage1796406256000,
  ListableRegisters1796500000000,
  RegisterExpiry1796600000000,
  ChangeFeed1796700000000,
  CatchUpStaging1796800000000,
];
