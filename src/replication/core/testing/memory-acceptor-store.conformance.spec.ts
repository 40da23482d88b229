import { describeAcceptorStoreRules } from './acceptor-store.conformance';
import { MemoryAcceptorStore } from './memory-acceptor-store';

describeAcceptorStoreRules('MemoryAcceptorStore', async () => new MemoryAcceptorStore());
