import { type ReactNode, useId } from "react";

import { Card } from "@/components/ui/page";

/** One titled block of the settings screen, named by its heading for landmarks and screen readers. */
export function SettingsSection({ title, description, children }: { title: string; description?: ReactNode; children: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id}>
      <Card className="space-y-4">
        <div className="space-y-1">
          <h2 id={id} className="text-lg font-semibold">
            {title}
          </h2>
          {description && <p className="text-sm text-slate-600">{description}</p>}
        </div>
        {children}
      </Card>
    </section>
  );
}
