"""On-subject padding: reference prose about the question's subject (an encyclopaedia article, a
manual page) pasted after a short answer, so every sentence touches the question and a model
that scores by length may rate it highly. The articles are written for this corpus in the
register of the sources candidates paste from; each is tried with its reference marks
(citations, dates, "See also") and with them stripped, which a careful paster would do.
"""

import re

ARTICLES: dict[str, str] = {
    "python-easy-01": (
        "Python is a high-level, general-purpose programming language. Its design philosophy "
        "emphasizes code readability with the use of significant indentation.[1] Python was "
        "conceived in the late 1980s by Guido van Rossum at Centrum Wiskunde & Informatica in "
        "the Netherlands as a successor to the ABC language.[2] Python 2.0 was released in 2000 "
        "and Python 3.0, a major revision that is not completely backward-compatible, in "
        "2008.[3] Python is dynamically typed and garbage-collected.\n\n"
        "Sequence types in Python include the list, the tuple and the range object. A list is a "
        "mutable sequence, typically used to store collections of homogeneous items; items can "
        "be appended, removed or replaced in place.[4] A tuple is an immutable sequence, "
        "typically used to store collections of heterogeneous data.[4] Because tuples are "
        "immutable, a tuple whose items are all hashable is itself hashable and may be used as "
        "a dictionary key or stored in a set.[5] Tuples are constructed by the comma operator, "
        "not by the parentheses, except in the case of the empty tuple.[5] The named tuple, "
        "added in Python 2.6, extends the tuple with fields accessible by attribute lookup.[6] "
        "Lists are implemented as dynamic arrays, which gives amortized constant time for "
        "appending and linear time for insertion at the front.[7]\n\n"
        "See also\nComparison of programming languages\nArray data structure\n\n"
        "References\n[1] Kuhlman, Dave. A Python Book. Retrieved 2020.\n"
    ),
    "sql-medium-01": (
        "Query optimization is a feature of many relational database management systems in "
        "which the query optimizer attempts to determine the most efficient way to execute a "
        "given query by considering the possible query plans.[1] The first cost-based optimizer "
        "was described in 1979 by Patricia Selinger and colleagues at IBM for System R.[2]\n\n"
        "In PostgreSQL, the EXPLAIN command displays the execution plan that the planner "
        "generates for the supplied statement.[3] The execution plan shows how the tables "
        "referenced by the statement will be scanned, whether by a sequential scan or an index "
        "scan, and which join algorithms, such as a nested loop, a hash join or a merge join, "
        "will be used.[3] The ANALYZE option causes the statement to be actually executed, so "
        "that actual row counts and run times are shown beside the estimates.[3] A large "
        "difference between estimated and actual row counts commonly indicates stale "
        "statistics, which are refreshed by the ANALYZE command.[4] An index is a data "
        "structure that improves the speed of data retrieval at the cost of additional writes "
        "and storage space.[5] The B-tree, introduced by Rudolf Bayer and Edward McCreight in "
        "1970, is the default index type in most systems.[6] MySQL provides the slow query log, "
        "which records statements that exceed the long_query_time threshold.[7]\n\n"
        "See also\nDatabase tuning\nQuery plan\n\nExternal links\nPostgreSQL documentation\n"
    ),
    "system_design-hard-01": (
        "A distributed hash table is a distributed system that provides a lookup service "
        "similar to a hash table: key-value pairs are stored across the nodes, and any "
        "participating node can efficiently retrieve the value associated with a given key.[1] "
        "Consistent hashing, introduced by David Karger et al. at MIT in 1997, assigns keys to "
        "nodes on a ring so that the addition or removal of a node relocates only a small "
        "fraction of the keys.[2] Many systems place several virtual nodes for each physical "
        "node on the ring to even out the load.[2]\n\n"
        "Amazon's Dynamo, described in a 2007 paper, combined consistent hashing with "
        "replication to a configurable number of successor nodes, known as the replication "
        "factor.[3] Reads and writes are coordinated with sloppy quorums, in which a write "
        "succeeds once W replicas acknowledge it and a read consults R replicas; when R + W "
        "exceeds the replication factor, a read overlaps the latest write.[3] Conflicting "
        "versions are tracked with vector clocks and reconciled by the application.[3] The CAP "
        "theorem, formulated by Eric Brewer in 2000 and proved by Gilbert and Lynch in 2002, "
        "states that a distributed data store cannot simultaneously provide consistency, "
        "availability and partition tolerance.[4] Apache Cassandra, first released in 2008, "
        "adopted a similar leaderless design with tunable consistency levels.[5]\n\n"
        "See also\nPeer-to-peer\nEventual consistency\n\nReferences\n"
        "[1] Stoica, I. et al. (2001). Chord. ACM SIGCOMM.\n"
    ),
    "behavioural-medium-01": (
        "Conflict resolution is conceptualized as the methods and processes involved in "
        "facilitating the peaceful ending of conflict.[1] In the workplace, disagreements over "
        "technical decisions are among the most common forms of task conflict, which research "
        "distinguishes from relationship conflict.[2] Task conflict is associated with better "
        "decisions when it is handled openly, whereas relationship conflict tends to reduce "
        "team performance.[2]\n\n"
        "The Thomas-Kilmann Conflict Mode Instrument, developed by Kenneth W. Thomas and Ralph "
        "H. Kilmann in 1974, identifies five modes of handling conflict: competing, "
        "collaborating, compromising, avoiding and accommodating.[3] Collaborating is described "
        "as both assertive and cooperative, and involves exploring the disagreement to find a "
        "solution that satisfies the concerns of both parties.[3] Interest-based relational "
        "approaches, popularised by Fisher and Ury in the 1981 book Getting to Yes, recommend "
        "separating the people from the problem, focusing on interests rather than positions "
        "and insisting on objective criteria such as data.[4] In software engineering, "
        "architecture decision records, proposed by Michael Nygard in 2011, document the "
        "options considered and the trade-offs behind a decision, so that it can be revisited "
        "when circumstances change.[5]\n\n"
        "See also\nNegotiation\nOrganizational conflict\n\nReferences\n"
        "[1] Forsyth, D. R. (2009). Group Dynamics. ISBN 978-0-495-59952-4.\n"
    ),
}

# The candidate's own words before the paste: short and thin, as when the paste is the point.
SHORT: dict[str, str] = {
    "python-easy-01": "list can change, tuple cannot. here is more detail:",
    "sql-medium-01": "I would look at the query plan. Some background:",
    "system_design-hard-01": "I'd use consistent hashing and replicas. More context below.",
    "behavioural-medium-01": "We disagreed and talked it through. Background on this:",
}

_MARKS = re.compile(r"\[\d+\]|\n(?:See also|References|External links)\n.*", re.DOTALL)


def stripped(article: str) -> str:
    """The article without citation marks and the sections after it."""
    return _MARKS.sub("", article).strip()


def pasted(qid: str) -> tuple[str, ...]:
    article = ARTICLES[qid]
    return (
        f"{SHORT[qid]}\n\n{article}",
        f"{SHORT[qid]}\n\n{stripped(article)}",
        stripped(article),
    )
