import { QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider } from "react-router";
import { Toaster } from "sonner";

import { router } from "@/app/router";
import { loadConfig } from "@/config";
import { AuthProvider } from "@/features/auth/auth-provider";
import { initFirebase } from "@/lib/firebase";
import { createQueryClient } from "@/lib/query";

import "./index.css";

const root = createRoot(document.getElementById("root")!);

async function start() {
  const config = await loadConfig();
  initFirebase(config);
  const queryClient = createQueryClient();
  root.render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <AuthProvider config={config}>
          <RouterProvider router={router} />
          <Toaster position="bottom-center" closeButton />
        </AuthProvider>
      </QueryClientProvider>
    </StrictMode>,
  );
}

start().catch((error: unknown) => {
  root.render(
    <main role="alert" className="mx-auto max-w-md p-8 text-center">
      <h1 className="text-xl font-semibold">Chorus cannot start</h1>
      <p className="mt-2 text-slate-700">{error instanceof Error ? error.message : String(error)}</p>
    </main>,
  );
});
