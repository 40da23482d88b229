import { describeFeedStoreRules } from './feed-store.conformance';
import { MemoryFeedStore } from './memory-feed-store';

describeFeedStoreRules('MemoryFeedStore', async () => new MemoryFeedStore());
