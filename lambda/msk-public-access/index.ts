export async function onEvent(): Promise<void> {}
export async function isComplete(): Promise<void> {}
