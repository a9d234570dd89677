import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";

import type { Schedule } from "./recurrence";
import { RecurrencePicker } from "./recurrence-picker";

// 2025-03-05 is a Wednesday.
const daily: Schedule = { kind: "daily", every: 1, start: "2025-03-05", time: "07:00" };

function setup(initial: Schedule = daily, errors?: Record<string, string>) {
  const onChange = vi.fn<(schedule: Schedule) => void>();
  function Harness() {
    const [value, setValue] = useState(initial);
    return (
      <RecurrencePicker
        value={value}
        errors={errors}
        onChange={(schedule) => {
          setValue(schedule);
          onChange(schedule);
        }}
      />
    );
  }
  const user = userEvent.setup();
  const view = render(<Harness />);
  const last = () => onChange.mock.lastCall?.[0];
  return { user, onChange, last, view };
}

describe("RecurrencePicker", () => {
  it("makes every other week on Monday and Thursday", async () => {
    const { user, last } = setup();
    await user.selectOptions(screen.getByLabelText("Repeats"), "Every week");
    // The start date's weekday is suggested.
    expect(screen.getByRole("button", { name: "Wednesday" })).toHaveAttribute("aria-pressed", "true");
    await user.click(screen.getByRole("button", { name: "Wednesday" }));
    await user.click(screen.getByRole("button", { name: "Thursday" }));
    await user.click(screen.getByRole("button", { name: "Monday" }));
    await user.clear(screen.getByLabelText("Every"));
    await user.type(screen.getByLabelText("Every"), "2");

    expect(screen.getByRole("button", { name: "Monday" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByRole("button", { name: "Wednesday" })).toHaveAttribute("aria-pressed", "false");
    expect(last()).toEqual({ kind: "weekly", every: 2, weekdays: ["mo", "th"], start: "2025-03-05", time: "07:00" });
  });

  it("makes the last Friday of every month", async () => {
    const { user, last } = setup();
    await user.selectOptions(screen.getByLabelText("Repeats"), "monthly_weekday");
    await user.selectOptions(screen.getByLabelText("Which one"), "last");
    await user.selectOptions(screen.getByLabelText("Day of the week"), "Friday");
    expect(last()).toEqual({ kind: "monthly_weekday", every: 1, nth: -1, weekday: "fr", start: "2025-03-05", time: "07:00" });
  });

  it("clears the time for all day and brings it back after", async () => {
    const { user, last } = setup();
    await user.click(screen.getByLabelText("All day"));
    expect(last()).toMatchObject({ time: null });
    expect(screen.getByLabelText("Time")).toBeDisabled();
    await user.click(screen.getByLabelText("All day"));
    expect(last()).toMatchObject({ time: "07:00" });
  });

  it("repeats three days after it is done", async () => {
    const { user, last } = setup();
    await user.selectOptions(screen.getByLabelText("Repeats"), "After it is done");
    await user.clear(screen.getByLabelText("Due again"));
    await user.type(screen.getByLabelText("Due again"), "3");
    await user.selectOptions(screen.getByLabelText("Unit"), "days");
    expect(last()).toEqual({ kind: "after_completion", every: 3, unit: "days", start: "2025-03-05", time: "07:00" });
    await user.selectOptions(screen.getByLabelText("Unit"), "weeks");
    expect(last()).toMatchObject({ every: 3, unit: "weeks" });
  });

  it("limits it to a season that wraps over the new year", async () => {
    const { user, last } = setup();
    await user.click(screen.getByLabelText("Only in some months"));
    await user.selectOptions(screen.getByLabelText("From"), "November");
    await user.selectOptions(screen.getByLabelText("To"), "February");
    expect(last()).toMatchObject({ kind: "daily", season: { start_month: 11, end_month: 2 } });
    await user.click(screen.getByLabelText("Only in some months"));
    expect(last()).not.toHaveProperty("season");
  });

  it("ends after a number of times, or on a date", async () => {
    const { user, last } = setup();
    await user.click(screen.getByLabelText("After a number of times"));
    await user.clear(screen.getByLabelText("Number of times"));
    await user.type(screen.getByLabelText("Number of times"), "5");
    expect(last()).toMatchObject({ count: 5 });
    expect(last()).not.toHaveProperty("until");

    await user.click(screen.getByLabelText("On a date"));
    expect(last()).not.toHaveProperty("count");
    expect(last()).toMatchObject({ until: "2025-06-05" });

    await user.click(screen.getByLabelText("Never"));
    expect(last()).not.toHaveProperty("until");
  });

  it("offers no end or season for a one-off", async () => {
    const { user, last } = setup();
    await user.selectOptions(screen.getByLabelText("Repeats"), "Once");
    expect(last()).toEqual({ kind: "once", start: "2025-03-05", time: "07:00" });
    expect(screen.queryByLabelText("Every")).not.toBeInTheDocument();
    expect(screen.queryByRole("group", { name: "Ends" })).not.toBeInTheDocument();
    expect(screen.queryByLabelText("Only in some months")).not.toBeInTheDocument();
    expect(screen.getByLabelText("Date")).toHaveValue("2025-03-05");
  });

  it("says what is wrong as it is typed", async () => {
    const { user } = setup({ kind: "weekly", every: 1, weekdays: ["we"], start: "2025-03-05", time: null });
    await user.click(screen.getByRole("button", { name: "Wednesday" }));
    expect(screen.getByRole("alert")).toHaveTextContent("Pick at least one day.");
    await user.clear(screen.getByLabelText("Every"));
    await user.type(screen.getByLabelText("Every"), "60");
    expect(screen.getByLabelText("Every")).toHaveAccessibleDescription("Enter a whole number from 1 to 52.");
    expect(screen.getByLabelText("Every")).toHaveAttribute("aria-invalid", "true");
  });

  it("shows the server's errors next to their fields and the rest on top", () => {
    setup(daily, { "schedule.time": "Input should be in a valid time format", schedule: "Until must not be before start" });
    expect(screen.getByLabelText("Time")).toHaveAccessibleDescription("Input should be in a valid time format");
    const group = screen.getByRole("group", { name: "Schedule" });
    expect(within(group).getAllByRole("alert").map((alert) => alert.textContent)).toContain("Until must not be before start");
  });

  it("starts over when the parent hands it another schedule", () => {
    const onChange = vi.fn();
    const { rerender } = render(<RecurrencePicker value={daily} onChange={onChange} />);
    expect(screen.getByLabelText("Repeats")).toHaveValue("daily");
    rerender(
      <RecurrencePicker value={{ kind: "yearly", month: 12, day: 24, start: "2025-03-05", time: "17:00:00" }} onChange={onChange} />,
    );
    expect(screen.getByLabelText("Repeats")).toHaveValue("yearly");
    expect(screen.getByLabelText("Month")).toHaveValue("12");
    expect(screen.getByLabelText("Day")).toHaveValue(24);
    expect(screen.getByLabelText("Time")).toHaveValue("17:00");
    expect(onChange).not.toHaveBeenCalled();
  });
});
