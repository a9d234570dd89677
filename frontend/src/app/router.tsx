import { Navigate, Outlet, createBrowserRouter, useRouteError } from "react-router";

import { Page } from "@/components/ui/page";
import { EmptyState } from "@/components/ui/states";
import { RequireAuth } from "@/features/auth/require-auth";
import { ResetPasswordRoute } from "@/features/auth/routes/reset-password";
import { SignInRoute } from "@/features/auth/routes/sign-in";
import { SignUpRoute } from "@/features/auth/routes/sign-up";
import { ChoreRoute } from "@/features/chores/routes/chore";
import { ChoresRoute } from "@/features/chores/routes/chores";
import { EditChoreRoute } from "@/features/chores/routes/edit-chore";
import { NewChoreRoute } from "@/features/chores/routes/new-chore";
import { FairnessRoute } from "@/features/history/routes/fairness";
import { JoinRoute } from "@/features/households/routes/join";
import { WelcomeRoute } from "@/features/households/routes/welcome";
import { LiveProvider } from "@/features/live/live-provider";
import { HouseholdSettingsRoute } from "@/features/members/routes/household-settings";
import { MembersRoute } from "@/features/members/routes/members";
import { BoardRoute } from "@/features/occurrences/routes/board";
import { MyDayRoute } from "@/features/occurrences/routes/my-day";
import { SettingsRoute } from "@/features/settings/routes/settings";

import { HomeRoute } from "./home";
import { HouseholdGuard } from "./household-guard";
import { AppLayout } from "./layout";

function Signed() {
  return (
    <RequireAuth>
      <LiveProvider>
        <Outlet />
      </LiveProvider>
    </RequireAuth>
  );
}

/** Anything a screen throws (or a chunk that a new deploy removed): say so, offer a reload. */
function Crashed() {
  const error = useRouteError();
  const stale = error instanceof TypeError && /dynamically imported module|Importing a module script/i.test(error.message);
  return (
    <main className="mx-auto max-w-md p-8 text-center">
      <h1 className="text-xl font-semibold">{stale ? "Chorus was updated" : "Something went wrong"}</h1>
      <p className="mt-2 text-slate-700">
        {stale ? "Reload to get the new version." : "Reloading usually helps. If it keeps happening, tell us what you did."}
      </p>
      <button
        type="button"
        className="mt-4 rounded-lg bg-brand-700 px-4 py-2.5 text-sm font-medium text-white"
        onClick={() => window.location.reload()}
      >
        Reload
      </button>
    </main>
  );
}

function NotFound() {
  return (
    <Page title="Page not found">
      <EmptyState title="There is nothing at this address.">
        <a className="text-brand-700 underline" href="/">Go home</a>
      </EmptyState>
    </Page>
  );
}

export const router = createBrowserRouter([
  {
    errorElement: <Crashed />,
    children: [
  { path: "/sign-in", element: <SignInRoute /> },
  { path: "/sign-up", element: <SignUpRoute /> },
  { path: "/reset-password", element: <ResetPasswordRoute /> },
  {
    element: <Signed />,
    children: [
      {
        element: <AppLayout />,
        children: [
          { index: true, element: <HomeRoute /> },
          { path: "welcome", element: <WelcomeRoute /> },
          { path: "join/:code", element: <JoinRoute /> },
          { path: "settings", element: <SettingsRoute /> },
          {
            path: "h/:householdId",
            element: <HouseholdGuard />,
            children: [
              { index: true, element: <Navigate to="today" replace /> },
              { path: "today", element: <MyDayRoute /> },
              { path: "board", element: <BoardRoute /> },
              { path: "chores", element: <ChoresRoute /> },
              { path: "chores/new", element: <NewChoreRoute /> },
              { path: "chores/:choreId", element: <ChoreRoute /> },
              { path: "chores/:choreId/edit", element: <EditChoreRoute /> },
              { path: "members", element: <MembersRoute /> },
              { path: "settings", element: <HouseholdSettingsRoute /> },
              { path: "fairness", element: <FairnessRoute /> },
            ],
          },
          { path: "*", element: <NotFound /> },
        ],
      },
    ],
  },
    ],
  },
]);
