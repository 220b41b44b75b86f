/** Gossipsub topic on which a network's members announce their round models. */
export function updateTopic (networkId: string): string {
  return `/meshtrain/${networkId}/updates/1.0.0`
}

/** Stream protocol over which a model payload is pulled by its hash. */
export function modelProtocol (networkId: string): string {
  return `/meshtrain/${networkId}/model/1.0.0`
}
