import { Navigate, Outlet, createBrowserRouter } from "react-router";

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
]);
