import type { ReactNode } from "react";

export function LiveProvider({ children }: { children: ReactNode }) {
  return <>{children}</>;
}
