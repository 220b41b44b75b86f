import type { StreamHandler, StreamHandlerOptions } from '@libp2p/interface'

/** The part of libp2p's registrar a stream-protocol service needs: its `components.registrar`. */
export interface ProtocolRegistrar {
  handle (protocol: string, handler: StreamHandler, options?: StreamHandlerOptions): Promise<void>
  unhandle (protocol: string): Promise<void>
}
