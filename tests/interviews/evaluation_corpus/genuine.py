"""Genuine answers to 12 bank questions, written the way candidates write: typos, short and
long, non-native English, no capitals, lists. Labels: 4 strong, 3 adequate, 2 weak, 1 off-topic
(an honest answer about something else)."""

from tests.interviews.evaluation_corpus.sample import Sample

ANSWERS: dict[str, dict[str, tuple[str, ...]]] = {
    "python-easy-01": {
        "strong": (
            "A list is mutable, you can append, remove or change items in place, while a tuple "
            "is immutable once it is created. Because tuples are immutable they are hashable "
            "if their items are hashable, so you can use a tuple as a dict key or put it in a "
            "set, which you cannot do with a list. I use tuples for fixed records, like a point "
            "(x, y) or a row from the database, and for unpacking return values. Lists are for "
            "collections of the same kind of thing that grow. Tuples are also a bit smaller in "
            "memory and signal to the reader that the data should not change.",
            "list = mutable, tuple = immutable. so tuple can be key in dict (it is hashable) "
            "and list can not. i use tuple when the data is fixed record like (lat, lon) and "
            "list when i append things in a loop. tuple is also little faster and use less "
            "memory. for example in my last job we grouped orders by (customer_id, date) tuple "
            "as the dict key.",
        ),
        "adequate": (
            "Lists can be changed after you create them and tuples can't be changed, they are "
            "immutable. So if I have data that should stay the same, like days of the week, I "
            "would use a tuple, and for a shopping cart where I add items I'd use a list.",
        ),
        "weak": (
            "Tuples use round brackets and lists use square brackets. I mostly use lists "
            "because they are more common.",
            "not sure, i think they are mostly the same thing, i always use list",
        ),
        "off_topic": (
            "In my previous team we used Jira for all our tickets and we had a standup every "
            "morning at nine. I was the one who organised the retrospectives and I think "
            "communication in a team is the most important thing for delivering on time.",
        ),
    },
    "python-medium-01": {
        "strong": (
            # Impersonal and dated, as a candidate who knows the history writes: not a paste.
            "The GIL is a mutex in CPython that allows only one thread to execute Python "
            "bytecode at a time. It exists because reference counting is not thread-safe, so "
            "without it every object would need its own lock. The current GIL was introduced in "
            "Python 3.2 in 2010 and forces a switch every 5 ms, so a busy thread cannot starve "
            "the others. Threads are still useful for I/O bound work, because blocking calls "
            "release the GIL while they wait on the network or the disk. For CPU-bound work the "
            "usual workaround is multiprocessing or a ProcessPoolExecutor, which runs separate "
            "interpreters with separate GILs, or moving the hot loop into numpy or a C extension "
            "that releases the lock. PEP 703 was accepted in 2023, and Python 3.13 ships an "
            "experimental free-threaded build without the GIL.",
            "The GIL is a mutex in CPython that lets only one thread execute Python bytecode at "
            "a time. For I/O bound work threads still help, because the GIL is released while a "
            "thread is blocked waiting on the network or disk, so a thread pool for HTTP calls "
            "works fine. For CPU-bound work threads give you no speedup, so I use "
            "multiprocessing or a ProcessPoolExecutor, or push the hot loop into numpy or a C "
            "extension that releases the GIL. Python 3.13 also has an experimental "
            "free-threaded build from PEP 703, and subinterpreters are another option.",
        ),
        "adequate": (
            "The global interpreter lock means only one thread runs python code at the same "
            "time. so threads are not good for heavy calculation, for that you should use "
            "multiprocessing instead, each process has its own interpreter.",
            "Basically the GIL makes sure one thread at a time runs. For downloading many "
            "files threads are fine because they spend time waiting on network. For number "
            "crunching I'd use multiprocessing.",
        ),
        "weak": (
            "It is a lock so that threads don't break things. I would avoid threads in Python.",
        ),
        "off_topic": (
            "I really enjoy working with React on the frontend, especially hooks like useState "
            "and useEffect, because they make components much simpler than the old class "
            "components and the whole team picked them up quickly after a short workshop.",
        ),
    },
    "python-hard-01": {
        "strong": (
            "A descriptor is any object whose class defines __get__, and optionally __set__ or "
            "__delete__, and which is stored as a class attribute. When you look up the "
            "attribute, Python calls __get__ instead of returning the object. Data descriptors "
            "(with __set__) take precedence over the instance __dict__, non-data descriptors "
            "don't, which is why you can shadow a method on an instance. Functions are "
            "non-data descriptors: their __get__ returns a bound method with self filled in. "
            "property, classmethod and staticmethod are all descriptors, and __slots__ creates "
            "member descriptors for each slot.",
        ),
        "adequate": (
            "Descriptors are objects with __get__ and __set__ methods that control attribute "
            "access on a class. The property decorator is built on this, when you access the "
            "attribute it calls the getter function for you.",
        ),
        "weak": (
            "I have used @property for getters and setters but I don't really know how it "
            "works inside, I think it is some magic of the decorator.",
        ),
        "off_topic": (
            "For deployment we used Docker containers and Kubernetes, with a Helm chart per "
            "service, and Github Actions built the images on every merge to main. It took us a "
            "few weeks to get the pipeline stable but after that releases were easy.",
        ),
    },
    "sql-easy-01": {
        "strong": (
            "An INNER JOIN returns only the rows that have a match in both tables. A LEFT JOIN "
            "keeps every row of the left table and fills the right side with NULLs when there is "
            "no match. Example: customers LEFT JOIN orders shows customers without orders with "
            "NULL order columns, while the inner join drops them. One trap: if you put a filter "
            "on the orders table in the WHERE clause, the LEFT JOIN behaves like an inner join, "
            "so that condition belongs in the ON clause.",
            "inner join -> only matching rows from both tables. left join -> all rows from left "
            "table, and null where no match on the right. e.g. customers and orders: with left "
            "join you still see the customers that never ordered, order_id is null. with inner "
            "join they dissapear from result.",
        ),
        "adequate": (
            "Inner join gives you only rows which exist in both tables. Left join gives all rows "
            "from the first table even if there is no matching row in the second one. For "
            "example employees and departments, an employee without department still shows in "
            "left join.",
        ),
        "weak": ("Left join is from the left side and inner join is in the middle.",),
        "off_topic": (
            "I prefer to use an ORM like Django or SQLAlchemy because writing raw queries is "
            "error prone, and the ORM also gives us migrations and protects against mistakes "
            "that junior developers often make when they are new to a project.",
        ),
    },
    "sql-medium-01": {
        "strong": (
            "First I find the query, from pg_stat_statements or the slow query log, then I run "
            "EXPLAIN ANALYZE to read the actual plan. I look for sequential scans on big tables, "
            "nested loops over many rows, and places where the row estimate is far off the "
            "actual count, which usually means stale statistics, so I run ANALYZE. Then I add or "
            "adjust an index, or rewrite the query so it is sargable, for example not wrapping "
            "an indexed column in a function like lower(email). I also check whether it is "
            "waiting on locks rather than doing work.",
        ),
        "adequate": (
            "I would run explain on the query to see the execution plan, and if it does a full "
            "scan of a big table I would add an index on the columns in the where clause. Then "
            "test again to see if its faster.",
            "use EXPLAIN. check if index is used. if not, create index. sometimes rewrite the "
            "query to make it simpler, like removing subquery.",
        ),
        "weak": ("I would add more RAM to the database server or ask the DBA.",),
        "off_topic": (
            "Our frontend was slow because the bundle was too big, so we split it with lazy "
            "loading of the routes and compressed the images, and the page load went from six "
            "seconds to two seconds on mobile devices which made the product team happy.",
        ),
    },
    "sql-hard-01": {
        "strong": (
            "In PostgreSQL every row version has xmin and xmax transaction ids, and each "
            "transaction reads from a snapshot, so readers don't block writers and no read "
            "locks are needed. An UPDATE writes a new tuple version and leaves the old one as a "
            "dead tuple, so tables bloat. VACUUM and autovacuum reclaim those dead tuples and "
            "freeze old transaction ids. The operational problems: a long-running transaction "
            "or a session idle in transaction holds back the xmin horizon so vacuum cannot "
            "clean up, bloat grows, and if freezing falls behind you risk transaction ID "
            "wraparound, which can force the database into read-only mode.",
        ),
        "adequate": (
            "MVCC means multi version concurrency control, every update creates a new version "
            "of the row and the old one stays until vacuum removes it. The problem is bloat if "
            "vacuum can't keep up, tables get bigger and slower.",
        ),
        "weak": ("It is how postgres handles many users at the same time, with locking I think.",),
        "off_topic": (
            "I like to keep my code clean by following the SOLID principles and writing small "
            "functions with good names, and I always ask for a code review before merging "
            "because a second pair of eyes catches a lot of bugs early.",
        ),
    },
    "system_design-easy-01": {
        "strong": (
            "A load balancer sits in front of several servers and distributes incoming traffic "
            "across them, so you get more capacity and higher availability. Common strategies "
            "are round robin, weighted round robin, least connections, and hashing on the "
            "client IP or consistent hashing when you want the same client on the same server. "
            "It runs health checks and takes unhealthy instances out of rotation. You can "
            "balance at layer 4 (TCP) or layer 7 (HTTP), where it can also do TLS termination "
            "and sticky sessions.",
        ),
        "adequate": (
            "it is a server that spread the requests to many backend servers so no one server "
            "is overloaded. strategies: round robin, least connections. it also check if "
            "servers are healthy.",
        ),
        "weak": ("It balances the load. Nginx is one.",),
        "off_topic": (
            "My favourite programming language is Go because it compiles fast and the standard "
            "library is excellent, and goroutines make concurrent code easy to write compared "
            "to what I was used to in Java at my previous company.",
        ),
    },
    "system_design-medium-01": {
        "strong": (
            "The core is generating a short key: I'd use a counter or pre-allocated ID ranges "
            "per app server and base62-encode the id, which avoids collisions; hashing the URL "
            "works too but needs collision handling. Storage is a read-heavy key-value lookup, "
            "so a key-value store or a simple database table with the key as primary key. Hot "
            "links go in a cache like Redis in front of it. For the redirect I'd choose 302 if "
            "we want to count every click, 301 if we want browsers to cache it. Click analytics "
            "are written asynchronously through a queue, and we need abuse and spam checks, "
            "custom aliases and expiry.",
        ),
        "adequate": (
            "You need an API that takes a long url and returns a short code, a database table "
            "mapping code to url, and a redirect endpoint. The code could be a hash of the url "
            "cut to 7 characters. I would add a cache because many people click the same links.",
        ),
        "weak": ("A website with a form where you paste the link and it gives you a shorter one.",),
        "off_topic": (
            "During my studies I wrote my thesis on image classification with convolutional "
            "neural networks and I trained the models on a university GPU cluster, which "
            "taught me a lot about patience and about reading research papers carefully.",
        ),
    },
    "system_design-hard-01": {
        "strong": (
            "Partitioning is done with consistent hashing: keys are hashed onto a ring and each "
            "node owns the range up to its position, with many virtual nodes per server so that "
            "load evens out and adding a node moves only a small share of the keys. Replication "
            "copies each key to the next N nodes on the ring, with N = 3 as a common replication "
            "factor, and the replicas sit in different availability zones or regions. "
            "Consistency is tunable with quorums: with N = 3, writing to W = 2 and reading from "
            "R = 2 means every read overlaps the latest write, while W = 1 and R = 1 favour "
            "latency and give eventual consistency. Conflicts from concurrent writes are "
            "detected with vector clocks or settled by last-write-wins timestamps, and "
            "anti-entropy with Merkle trees repairs replicas in the background. This is the "
            "design described in the Dynamo paper from 2007 and used by Cassandra and Riak. "
            "Across regions a write is acknowledged locally and replicated asynchronously, so a "
            "regional outage loses at most the last few hundred milliseconds of writes.",
            "I'd partition keys with consistent hashing on a ring, with virtual nodes so load "
            "spreads evenly and rebalancing moves little data. Each key is replicated to N "
            "nodes (replication factor 3, across regions); either leader-based per partition or "
            "leaderless like Dynamo with quorum reads and writes, R + W > N for stronger "
            "consistency. With leaderless writes you need conflict resolution: last-write-wins "
            "is simple but loses updates, vector clocks or CRDTs keep them. For failures: "
            "gossip membership and failure detection, hinted handoff while a node is down, and "
            "anti-entropy repair with Merkle trees.",
        ),
        "adequate": (
            "Split the data by hashing the key so every node owns part of the keys, and keep "
            "copies on three nodes in different regions. For consistency use quorum, write to "
            "majority and read from majority, so you read latest value most of time.",
        ),
        "weak": (
            "I would use a big database like Cassandra or DynamoDB that already does all this.",
        ),
        "off_topic": (
            "I think remote work is great for focus, I set up a quiet room at home and I block "
            "time in my calendar for deep work, and we meet in the office once a month which "
            "keeps the team connected without losing the benefits of working from home.",
        ),
    },
    "behavioural-easy-01": {
        "strong": (
            "At my last company customers waited up to a week for invoices to be corrected, "
            "which caused a lot of support tickets. I designed and built a self-service "
            "correction flow: I wrote the backend API, decided to reuse the existing approval "
            "workflow instead of writing a new one, and led the rollout with two other "
            "developers. Support tickets about invoices dropped by 40 percent in the first "
            "quarter. I learned to talk to the support team much earlier; next time I would "
            "involve them from the first design sketch.",
        ),
        "adequate": (
            "i am proud of the mobile app we made for booking sport courts. my role was the "
            "backend, i wrote most of the API in django and the payment integration. users "
            "liked it and we got good reviews in the app store.",
        ),
        "weak": ("We built a website for a client and it went well, the team was good.",),
        "off_topic": (
            "The weather in my city is usually rainy in autumn so I spend my weekends reading "
            "fantasy novels and cooking for my family, and in summer we go hiking in the "
            "mountains near the lake where my grandparents live.",
        ),
    },
    "behavioural-medium-01": {
        "strong": (
            "A colleague wanted to move our reporting to a new document database, I wanted to "
            "stay on PostgreSQL. I made sure I understood his argument, the schema changes were "
            "painful for him, and I listed both options with their trade-offs. We agreed to "
            "build a small prototype of the three heaviest reports on both and measure. The "
            "benchmark showed Postgres with two new indexes was fast enough, and we fixed the "
            "migration pain with better tooling. He agreed, and in hindsight the experiment "
            "also kept our relationship good because nobody had to just give in.",
        ),
        "adequate": (
            "Me and another developer disagreed about using microservices for a new feature. "
            "We discussed it in a meeting with the tech lead and in the end we decided to keep "
            "it in the monolith for now because the team was small.",
        ),
        "weak": ("I usually just do what the senior says to avoid conflicts.",),
        "off_topic": (
            "My strongest skill is probably JavaScript, I have five years of experience with "
            "Node and React and I have also done some mobile development with React Native for "
            "a delivery start-up in my home town.",
        ),
    },
    "behavioural-hard-01": {
        "strong": (
            "When we moved from a shared monolith to team-owned services, two senior engineers "
            "pushed back hard. I listened first: their concern was on-call load and losing "
            "knowledge of the whole system. I explained the rationale with incident data and "
            "involved them in writing the service boundaries, so their input shaped the plan. "
            "We ran a pilot with one team, got a quick win on deploy times, then rolled out in "
            "phases. I measured lead time and pages per week, and when on-call load rose for "
            "one team we adjusted the rotation.",
        ),
        "adequate": (
            "we changed from scrum to kanban and some people didnt like it. i explained why we "
            "do it, that we lose time in planning meetings, and we tried it for one month as "
            "a trial. after the month most people agreed it was better.",
        ),
        "weak": ("I told the team this is the decision of management and we have to follow.",),
        "off_topic": (
            "I have a certificate in AWS solutions architecture and I passed it on the first "
            "try after studying for two months in the evenings, which I am quite proud of "
            "because I was working full time at the same moment.",
        ),
    },
}

GENUINE: tuple[Sample, ...] = tuple(
    Sample(qid, kind, text)
    for qid, kinds in ANSWERS.items()
    for kind, texts in kinds.items()
    for text in texts
)


def strong(qid: str) -> str:
    return ANSWERS[qid]["strong"][0]


def adequate(qid: str) -> str:
    return ANSWERS[qid]["adequate"][0]
