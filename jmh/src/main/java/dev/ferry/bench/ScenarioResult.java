package dev.ferry.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** A scenario's runs so far: the measured ones and the failed ones (with why). */
record ScenarioResult(Scenario scenario, List<RunResult> runs, List<String> failures) {

    ScenarioResult(Scenario scenario) {
        this(scenario, new ArrayList<>(), new ArrayList<>());
    }

    /** One figure of every measured run. */
    Spread spread(ToDoubleFunction<RunResult> figure) {
        return Spread.of(runs.stream().map(figure::applyAsDouble).toList());
    }
}
