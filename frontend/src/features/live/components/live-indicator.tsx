export function LiveIndicator() {
  return null;
}
