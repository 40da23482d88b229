import { InitialSchema1764150000000 } from './1764150000000-initial-schema';

/** Every migration, in order. Applied at boot; `synchronize` is never used. */
export const migrations = [InitialSchema1764150000000];
