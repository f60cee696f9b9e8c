// Touches a Node-only global: must fail on XS with a message that says so.
export default function usesBuffer() {
  return Buffer.from('abc').length;
}
