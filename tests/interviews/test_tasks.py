from typing import Any

from interviews.tasks import evaluation_retry_delay


def test_evaluation_retry_delay__grows_exponentially_within_the_cap_with_full_jitter(
    settings: Any,
) -> None:
    settings.EVALUATION_RETRY_BASE_SECONDS = 10
    settings.EVALUATION_RETRY_MAX_SECONDS = 300
    for retries, ceiling in [(0, 10), (1, 20), (2, 40), (3, 80), (8, 300)]:
        delays = {evaluation_retry_delay(retries) for _ in range(300)}
        assert min(delays) >= 0
        assert max(delays) <= ceiling
        # Full jitter: delays spread over the whole range, not clustered at the ceiling.
        assert min(delays) <= ceiling * 0.2
        assert max(delays) >= ceiling * 0.8
