import { Injectable } from '@nestjs/common';
import { ListPage } from '../replication/core/key-lister';
import { Registers } from '../replication/registers';
import { expiryField } from './dto/entry.dto';
import { ListPageDto } from './dto/list-page.dto';
import { encodeCursor, ListRequest } from './list-request';

/**
 * Listing by prefix or range. Not a key operation (no key to route by), so
 * it runs on the node that was asked: each key of a page is linearizable on
 * its own (see KeyLister), whichever node lists it.
 */
@Injectable()
export class KvListingService {
  constructor(private readonly registers: Registers) {}

  async list(request: ListRequest): Promise<ListPageDto> {
    const page: ListPage =
      request.consistency === 'local'
        ? await this.registers.listLocal(request.range, request.limit)
        : await this.registers.list(request.range, request.limit);
    return {
      items: page.entries.map(({ key, state }) =>
        request.keysOnly
          ? { key, version: state.version, ...expiryField(state.expiresAt) }
          : { key, value: state.value, version: state.version, ...expiryField(state.expiresAt) },
      ),
      nextCursor: page.next === null ? null : encodeCursor(request.listing, page.next),
    };
  }
}
