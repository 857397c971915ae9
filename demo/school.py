"""A realistic, reproducible demo Virtual School (``manage.py seed_demo``).

Everything random comes from one ``random.Random(seed)``, so the same seed on the same
day gives the same school. Terms are computed from today's date. Bulk inserts are used
for the bulky rows (children, PEPs, aspirations); QA reviews go through
``reviews.services`` so every judgement and PEP status comes from ``reviews.rules``.
All names are invented: no real children, staff or schools are meant.
"""

import random
import sys
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from stdnum.gb import upn as stdnum_upn

from accounts.models import LeadArea, User
from core.vocabulary import Phase, Rating, Role, Season
from imports.rules import default_term_dates
from notices.models import Notice, NoticeKind
from peps.calendar import school_days_later
from peps.models import (
    AspirationCategory,
    AspirationEntry,
    Child,
    DesignatedTeacher,
    Pep,
    PepStatus,
    PepStatusChange,
    School,
    SocialCareTeam,
    SocialWorker,
    Term,
)
from practice.exemplars import accept_exemplar, gold_areas, mark_gold
from practice.models import ActionStatus, Supervision, TrainingKind, TrainingStatus
from practice.selectors import recent_reviews_of
from practice.supervision import ActionInput, FollowUpInput, TrainingInput, mark_training, record_supervision
from reviews import rules
from reviews.models import Amendment, QaReview, ReviewKind, ReviewStatus
from reviews.services import AreaInput, mark_amended, save_review, start_review
from sampling.models import ModerationGroup, Sample, SampleEntry
from sampling.services import draw_term_samples, record_review_in_samples

ADMINISTRATORS_GROUP = "Administrators"
EMAIL_DOMAIN = "hillingdon-vs.example.org"
SOCIAL_CARE_DOMAIN = "hillingdon-sc.example.org"

# username, role, first name, last name, job title, line manager, days since starting
STAFF = [
    ("vsh", Role.VSH, "Helen", "Adeyemi", "Virtual School Head", None, 3310),
    ("admin", Role.ADMINISTRATOR, "Gary", "Whitfield", "Business Support and Systems Officer", None, 1840),
    ("manager", Role.MANAGER, "Priya", "Chauhan", "Virtual School Manager", "vsh", 2450),
    ("manager2", Role.MANAGER, "Tom", "Gallagher", "Virtual School Manager", "vsh", 1490),
    ("lead", Role.LEAD, "Rebecca", "Osei", "Lead Practitioner: Early Years and SEND", "vsh", 2120),
    ("officer", Role.OFFICER, "Sam", "Kowalski", "Virtual School Officer", "manager", 1260),
    ("officer2", Role.OFFICER, "Aisha", "Rahman", "Virtual School Practitioner", "manager", 930),
    ("officer3", Role.OFFICER, "Daniel", "Murphy", "Virtual School Officer", "manager", 410),
    ("officer4", Role.OFFICER, "Chloe", "Bennett", "Virtual School Officer (Post 16)", "manager2", 1650),
    ("officer5", Role.OFFICER, "Marcus", "Campbell", "Virtual School Practitioner", "manager2", 700),
    ("officer6", Role.OFFICER, "Zara", "Hussain", "Virtual School Officer", "manager2", 14),
]
DEMO_USERNAMES = [row[0] for row in STAFF]
OFFICERS = [row[0] for row in STAFF if row[1] == Role.OFFICER]
NEW_STARTER = "officer6"
LEAD_AREA_CODES = ["early-years", "send"]
MODERATION_GROUP = "PEP QA moderation group"
MODERATION_GROUP_MEMBERS = ["vsh", "lead", "manager", "manager2"]

# Year groups each kind of setting takes.
SCHOOL_KINDS = {
    "nursery": (-2, -1),
    "infant": (-1, 2),
    "primary": (-1, 6),
    "secondary": (7, 11),
    "secondary6": (7, 13),
    "special": (0, 13),
    "semh": (5, 11),
    "college": (12, 13),
}
HOME_LA = "Hillingdon"
# name, kind, local authority
SCHOOLS = [
    ("Little Acorns Day Nursery", "nursery", HOME_LA),
    ("Rainbow Children's Centre Nursery", "nursery", HOME_LA),
    ("Brambles Pre-School", "nursery", HOME_LA),
    ("Sunflower Nursery School", "nursery", "Ealing"),
    ("Elm Tree Infant and Nursery School", "infant", HOME_LA),
    ("Brookside Primary School", "primary", HOME_LA),
    ("St Andrew's Church of England Primary School", "primary", HOME_LA),
    ("Meadow View Primary School", "primary", HOME_LA),
    ("Our Lady of Lourdes Catholic Primary School", "primary", HOME_LA),
    ("Kingfisher Primary Academy", "primary", HOME_LA),
    ("Colne Valley Primary School", "primary", HOME_LA),
    ("Greenway Primary School", "primary", HOME_LA),
    ("Hawthorn Lane Primary School", "primary", HOME_LA),
    ("Langley Fields Primary School", "primary", "Slough"),
    ("Chalfont Vale Primary School", "primary", "Buckinghamshire"),
    ("Uxbridge Vale Academy", "secondary6", HOME_LA),
    ("Ruislip Heights School", "secondary", HOME_LA),
    ("Yeading Park Academy", "secondary", HOME_LA),
    ("St Thomas More Catholic High School", "secondary6", HOME_LA),
    ("Northwood Grange School", "secondary6", HOME_LA),
    ("Hayes Bridge Academy", "secondary", HOME_LA),
    ("Beaconsfield Manor School", "secondary", "Buckinghamshire"),
    ("Ealing Fields Academy", "secondary", "Ealing"),
    ("Willow Bank School", "special", HOME_LA),
    ("The Orchard Centre", "semh", HOME_LA),
    ("Greenfields Residential School", "special", "Surrey"),
    ("Colne Valley College", "college", HOME_LA),
    ("Heathrow Vocational Skills Centre", "college", HOME_LA),
    ("Thames Valley Sixth Form College", "college", "Slough"),
    ("Pinner Road College", "college", "Harrow"),
]

DT_NAMES = [
    "Claire Donovan",
    "Mark Ellison",
    "Nadia Farouk",
    "Joanne Price",
    "Ravi Mehta",
    "Siobhan Kelly",
    "Peter Hargreaves",
    "Funmi Adewale",
    "Louise Carter",
    "James O'Neill",
    "Sunita Bains",
    "Hannah Fielding",
    "Gareth Lloyd",
    "Amanda Pearce",
    "Yasmin Qureshi",
    "David Okonkwo",
    "Rachel Simmons",
    "Imran Siddiqui",
    "Katie Morgan",
    "Paul Whitaker",
    "Bernadette Walsh",
    "Kamala Pillai",
    "Stuart Greaves",
    "Emma Lawson",
    "Nkechi Eze",
    "Lucy Harrington",
    "Adam Kaczmarek",
    "Fiona McLeod",
    "Tariq Aziz",
    "Deborah Stone",
]

# name, manager, manager email local part, social worker names
SOCIAL_CARE = [
    (
        "Children in Care Team 1",
        "Sharon McAllister",
        ["Hannah Price", "Olu Bakare", "Jenny Marsh", "Kieran Doyle", "Meera Joshi"],
    ),
    ("Children in Care Team 2", "Dev Malhotra", ["Lauren Hughes", "Ben Achterberg", "Grace Mensah", "Ryan Foster"]),
    ("Leaving Care Team", "Angela Brooks", ["Kofi Asante", "Natalie Shaw", "Lewis Grant"]),
    ("Disabled Children's Team", "Neil Fraser", ["Sophie Turner", "Abdul Karim", "Marie Dubois"]),
]

FIRST_NAMES = [
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Freya",
    "Lily",
    "Mia",
    "Grace",
    "Evie",
    "Ruby",
    "Aisha",
    "Fatima",
    "Maryam",
    "Zainab",
    "Amira",
    "Priya",
    "Anaya",
    "Simran",
    "Chloe",
    "Jessica",
    "Leah",
    "Kayla",
    "Shanice",
    "Nia",
    "Ama",
    "Blessing",
    "Precious",
    "Zofia",
    "Maja",
    "Ioana",
    "Bianca",
    "Siobhan",
    "Niamh",
    "Megan",
    "Courtney",
    "Tia",
    "Hafsa",
    "Oliver",
    "George",
    "Harry",
    "Noah",
    "Jack",
    "Leo",
    "Arthur",
    "Muhammad",
    "Ibrahim",
    "Yusuf",
    "Ayaan",
    "Arjun",
    "Rohan",
    "Kai",
    "Tyler",
    "Kyle",
    "Jayden",
    "Liam",
    "Connor",
    "Callum",
    "Kieran",
    "Reece",
    "Kwame",
    "Kofi",
    "Tobi",
    "Daniel",
    "Jakub",
    "Filip",
    "Mateusz",
    "Andrei",
    "Luca",
    "Omar",
    "Hamza",
    "Bilal",
    "Dylan",
    "Ethan",
    "Mason",
    "Riley",
    "Alfie",
    "Theo",
    "Malachi",
    "Samir",
    "Dawit",
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Williams",
    "Brown",
    "Taylor",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Walker",
    "Wright",
    "Robinson",
    "Thompson",
    "White",
    "Hughes",
    "Edwards",
    "Green",
    "Hall",
    "Wood",
    "Harris",
    "Clarke",
    "Patel",
    "Khan",
    "Ali",
    "Hussain",
    "Begum",
    "Ahmed",
    "Shah",
    "Singh",
    "Kaur",
    "Sharma",
    "Gill",
    "Mensah",
    "Okoye",
    "Adebayo",
    "Owusu",
    "Boateng",
    "Campbell",
    "Reid",
    "Francis",
    "Nowak",
    "Kaminski",
    "Popescu",
    "Murphy",
    "O'Brien",
    "Kelly",
    "Byrne",
    "Doherty",
    "McDonald",
    "Mahmood",
    "Rahman",
    "Iqbal",
    "Yilmaz",
    "Nguyen",
    "Chen",
    "Santos",
    "Silva",
    "Mohamed",
    "Abdi",
    "Warsame",
    "Hassan",
    "Tesfaye",
    "Lewis",
    "Morris",
    "Cooper",
    "Ward",
    "Bailey",
    "Price",
]

CHILD_VIEWS = {
    Phase.EYFS: [
        '{first} enjoys the sand and water tray and singing time. {first} told the key person: "I like the big slide."',
        "{first} is happy coming into nursery and points to the carers' photos on the family "
        "board. {first} likes stories about animals.",
        "Observed in play: {first} chose the construction area and built a tall tower with a "
        'friend. {first} says nursery is "fun".',
        "{first} likes painting and being outside, and is sometimes upset at home time; the "
        "key person helps {first} settle.",
    ],
    Phase.SSA: [
        "I like maths when we work in groups. Reading out loud is hard. I want to stay at this "
        "school because my friends are here.",
        "I like PE and art. I don't like it when the classroom is noisy. My learning mentor helps me when I get stuck.",
        "I want to do well in my GCSEs so I can go to college. I'd like more help with science.",
        "School is OK. I like my form tutor. I want to go to football club after school.",
        "I find it hard to concentrate after contact. I like having a quiet place to go. I want "
        "to be a vet when I grow up.",
        "I am proud of my reading. I want to join the choir. Sometimes I worry about my brother.",
    ],
    Phase.POST16: [
        "I want to finish my Level 2 course and then do an apprenticeship. I need help with travel costs.",
        "College is going well. I find the English resit hard but I go to the drop-in sessions.",
        "I want to live independently and work with children. My PA helps me with applications.",
        "I'm enjoying the course but money is tight. I'd like help to get a laptop.",
    ],
}
EDUCATION_SUMMARIES = {
    Phase.EYFS: [
        "{first} attends {school} ({year}) with a consistent key person and is settling well. {send}",
        "{first} is in {year} at {school}. Development is broadly in line with age-related "
        "expectations except communication and language; a speech and language referral has "
        "been made. {send}",
    ],
    Phase.SSA: [
        "{first} is in {year} at {school}, working towards the expected standard in reading and "
        "writing and at the expected standard in maths. {send}",
        "{first} is in {year} at {school} and has small-group literacy support three times a "
        "week. Behaviour has improved since the last PEP. {send}",
        "{first} is in {year} at {school}; attainment is in line with targets in most subjects "
        "and a learning mentor meets {first} weekly. {send}",
    ],
    Phase.POST16: [
        "{first} is studying a Level 2 course at {school}, with English and maths GCSE resits. "
        "The tutor monitors attendance and punctuality weekly. {send}",
        "{first} is in {year} at {school}, studying for a Level 3 qualification, and is on "
        "track to apply for an apprenticeship or university. {send}",
    ],
}
SEND_LINES = {
    "ehcp": "An EHCP is in place; its annual review is booked for next term.",
    "send": "SEN support plan in place, reviewed termly with the SENCo.",
    "none": "No special educational needs identified.",
}
TARGETS = {
    Phase.EYFS: [
        "1. By the next PEP, {first} will use two-word phrases to ask for help (key person to "
        "model daily).\n2. {first} will take turns in a small-group game with adult support "
        "three times a week.",
        "1. {first} will recognise and name four colours by half term (key person, daily "
        "play).\n2. {first} will separate from the carer at the door with a settling routine.",
    ],
    Phase.SSA: [
        "1. {first} will read for 20 minutes four evenings a week, recorded in the reading log "
        "(carer to support; DT to check weekly).\n2. {first} will know the times tables to "
        "10 x 10 by the next PEP (daily practice; PP+ funds a maths tutor).",
        "1. {first} will reach the target grade in the English mock (weekly tutoring funded by "
        "PP+).\n2. {first} will use the agreed time-out card instead of leaving lessons "
        "(learning mentor to track weekly).",
        "1. {first} will attend homework club every Thursday this term.\n2. {first} will "
        "complete the science catch-up programme by half term (TA, three sessions a week).",
    ],
    Phase.POST16: [
        "1. {first} will complete portfolio units 1-3 by the end of term (tutor to review "
        "fortnightly).\n2. {first} will attend at least 90% of sessions (bursary linked to "
        "attendance).\n3. {first} will submit two apprenticeship applications with the PA.",
        "1. {first} will pass the maths GCSE resit (weekly drop-in plus online tutoring).\n"
        "2. {first} will open a bank account and budget weekly with the PA by half term.",
    ],
}

# category, phases ("e", "s", "p"), aspiration, reasonable steps
ASPIRATIONS = [
    (
        AspirationCategory.SPORTS,
        "sp",
        "To join my local football team",
        "Carer to contact the club about Saturday training; kit bought from the placement allowance.",
    ),
    (
        AspirationCategory.SPORTS,
        "es",
        "To swim 25 metres",
        "Weekly lessons at the leisure centre, booked by my carer; school to share progress.",
    ),
    (
        AspirationCategory.ARTS,
        "s",
        "To play the guitar in the school concert",
        "Weekly guitar lessons funded by PP+; practise at home twice a week.",
    ),
    (
        AspirationCategory.ARTS,
        "s",
        "To be in the school play",
        "Drama club on Tuesdays; DT to let me know when auditions are.",
    ),
    (
        AspirationCategory.ARTS,
        "e",
        "To paint a picture of my family",
        "Painting time at nursery with my key person; take it home to show my carers.",
    ),
    (
        AspirationCategory.ACADEMIC,
        "s",
        "To pass my GCSE maths",
        "Small-group tuition twice a week; revision guide; DT to check progress after mocks.",
    ),
    (
        AspirationCategory.ACADEMIC,
        "s",
        "To read a chapter book on my own",
        "Read with my carer every night; choose a book at the library each fortnight.",
    ),
    (
        AspirationCategory.ACADEMIC,
        "e",
        "To count to 20",
        "Counting songs at nursery and at home; number games with my carer.",
    ),
    (
        AspirationCategory.ACADEMIC,
        "sp",
        "To go to college to study Health and Social Care",
        "Careers meeting in the spring; visit the college open day with my carer.",
    ),
    (
        AspirationCategory.CAREER,
        "s",
        "To be a vet",
        "Work experience at the animal rescue; extra science help; careers meeting in Year 10.",
    ),
    (
        AspirationCategory.CAREER,
        "p",
        "To become an electrician through an apprenticeship",
        "Finish my Level 2 course; PA to help me apply for apprenticeships by March.",
    ),
    (
        AspirationCategory.CAREER,
        "p",
        "To work with children as a nursery assistant",
        "Placement at a nursery one day a week; first aid course funded by the bursary.",
    ),
    (
        AspirationCategory.SOCIAL,
        "es",
        "To make a best friend at school",
        "Lunchtime club with a small group; carer to invite a friend for tea.",
    ),
    (
        AspirationCategory.SOCIAL,
        "sp",
        "To keep in touch with my brother",
        "SW to arrange monthly contact; video calls in between.",
    ),
    (
        AspirationCategory.SOCIAL,
        "e",
        "To play with other children at the water tray",
        "Key person to support turn-taking games each morning.",
    ),
    (
        AspirationCategory.COMMUNITY,
        "sp",
        "To volunteer at the food bank",
        "Go with my carer on Saturday mornings once a month.",
    ),
    (
        AspirationCategory.COMMUNITY,
        "s",
        "To join the Scouts",
        "Carer to contact the local group; PP+ not needed, uniform from the placement budget.",
    ),
    (
        AspirationCategory.COMMUNITY,
        "sp",
        "To join the Children in Care Council",
        "Participation officer to invite me to the next meeting.",
    ),
    (
        AspirationCategory.ENRICHING,
        "s",
        "To go camping",
        "School residential trip in the summer; carer to help with kit.",
    ),
    (
        AspirationCategory.ENRICHING,
        "e",
        "To ride a bike without stabilisers",
        "Practise in the park at weekends with my carer.",
    ),
    (
        AspirationCategory.ENRICHING,
        "p",
        "To cook three meals for myself",
        "Cooking with my carer on Sundays; independence skills sessions at college.",
    ),
    (
        AspirationCategory.WELLBEING,
        "s",
        "To feel calmer at school",
        "Daily check-in with the learning mentor; ELSA sessions each week; an agreed quiet space.",
    ),
    (
        AspirationCategory.WELLBEING,
        "e",
        "To say goodbye to my carer happily at the door",
        "A settling routine with my key person and a photo of my carer in my tray.",
    ),
    (
        AspirationCategory.WELLBEING,
        "sp",
        "To sleep better",
        "Bedtime routine agreed with my carer; school nurse to give advice.",
    ),
    (AspirationCategory.OTHER, "es", "To get my own library card", "Visit the library with my carer and sign up."),
    (
        AspirationCategory.OTHER,
        "p",
        "To pass my driving theory test",
        "Revision app on my phone; PA to help book the test.",
    ),
]
TRUSTED_ADULTS = {
    Phase.EYFS: [
        "My foster carer, Jo",
        "My foster carer, Michelle",
        "My key person, Bella",
        "My nan",
        "My foster carer, Steve",
    ],
    Phase.SSA: [
        "My foster carer, Jo",
        "My foster carer, Tunde",
        "Mr Ahmed, my form tutor",
        "My learning mentor, Ms Green",
        "My nan",
        "My residential key worker, Dee",
        "My social worker",
    ],
    Phase.POST16: [
        "My personal adviser, Kofi",
        "My foster carer, Linda",
        "My tutor, Mrs Patel",
        "My supported lodgings host, Carol",
        "My aunt",
    ],
}

# Quality of a PEP: tier weights (gold, green, amber, red), and the area ratings per tier.
TIERS = [Rating.GOLD, Rating.GREEN, Rating.AMBER, Rating.RED]
TIER_WEIGHTS = [18, 56, 19, 7]
WEAKER_OFFICER_TIER_WEIGHTS = [8, 40, 38, 14]  # officer3: the supervision case
WEAKER_OFFICER = "officer3"
AREA_DISTRIBUTION = {
    Rating.GOLD: [95, 5, 0, 0],
    Rating.GREEN: [25, 72, 3, 0],
    Rating.AMBER: [5, 45, 38, 12],
    Rating.RED: [0, 5, 25, 70],
}
# How the PEP's facts lean with its quality.
SW_ATTENDED = {Rating.GOLD: 0.97, Rating.GREEN: 0.88, Rating.AMBER: 0.7, Rating.RED: 0.45}
SW_SECTION = {Rating.GOLD: 0.99, Rating.GREEN: 0.93, Rating.AMBER: 0.8, Rating.RED: 0.55}
DT_ATTENDED = {Rating.GOLD: 0.98, Rating.GREEN: 0.96, Rating.AMBER: 0.93, Rating.RED: 0.8}
CHILD_ATTENDED = {Rating.GOLD: 0.85, Rating.GREEN: 0.6, Rating.AMBER: 0.5, Rating.RED: 0.4}
CARER_ATTENDED = {Rating.GOLD: 0.95, Rating.GREEN: 0.75, Rating.AMBER: 0.7, Rating.RED: 0.55}

# Comments by area position (the default pro-formas' eight areas) and rating.
AREA_COMMENTS = {
    1: [
        "All key people attended, including the child; next meeting date set.",
        "SW and DT attended and the next meeting date is recorded.",
        "A key professional did not attend, or the next meeting date is missing.",
        "No record of who attended or of the next meeting.",
    ],
    2: [
        "SW section fully updated: care context, health and placement clear and current.",
        "SW section updated with current placement and health information.",
        "SW section only partly updated; health information out of date.",
        "SW section not updated since the last PEP.",
    ],
    3: [
        "Provision described precisely, with the impact of each intervention.",
        "Clear description of the setting and the support in place.",
        "Support listed but not how it is helping; transition plans missing.",
        "Little or no information on provision or support.",
    ],
    4: [
        "Current levels and progress since the last PEP evidenced and analysed.",
        "Current attainment recorded and progress since the last PEP noted.",
        "Data incomplete; progress since the last PEP not commented on.",
        "No attainment or progress information.",
    ],
    5: [
        "The child's voice is strong, in their own words, and shapes the targets.",
        "The child's views are captured directly and reflected in the plan.",
        "Views recorded second-hand; unclear how they were gathered.",
        "No child's views recorded.",
    ],
    6: [
        "Attendance analysed with patterns, actions and impact.",
        "Attendance and exclusions recorded for the term.",
        "Attendance figure given without comment or actions.",
        "Attendance not recorded.",
    ],
    7: [
        "Every target SMART with who, what and when; PP+ costed against each.",
        "Targets specific and measurable; PP+ linked to targets.",
        "Targets vague and last term's targets not evaluated.",
        "No meaningful targets and no evidence of PP+ use.",
    ],
    8: [
        "Aspirations child-led, with a trusted adult, support network and next steps.",
        "Aspirations recorded with a trusted adult and next steps.",
        "Aspirations listed but no steps or support network.",
        "Aspiration Pathway not completed.",
    ],
}
GENERIC_COMMENTS = [
    "Outstanding: clear evidence of impact.",
    "Complete and good.",
    "Incomplete: please see feedback.",
    "Poor: needs rewriting.",
]
STRENGTHS = {
    Rating.GOLD: [
        "An outstanding PEP: the child's voice runs through it and every target is SMART and costed.",
        "Excellent multi-agency working; evidence of PP+ impact attached.",
    ],
    Rating.GREEN: [
        "A good, complete PEP with clear targets linked to PP+.",
        "Good attendance at the meeting and a well-evidenced education section.",
    ],
    Rating.AMBER: [
        "The education section is clear and attendance is well recorded.",
        "The child's views are captured well.",
    ],
    Rating.RED: ["The meeting was held within the timescale.", ""],
}
DEVELOPMENT_POINTS = {
    Rating.GOLD: ["Share as a Gold example at the next team meeting.", "Keep attaching evidence of the impact of PP+."],
    Rating.GREEN: ["Make every target time-bound with a named person.", "Evaluate last term's targets explicitly."],
    Rating.AMBER: [
        "DT and SW to complete the missing sections; evaluate last term's targets and link PP+ to them.",
        "Capture the child's views directly, in their own words.",
    ],
    Rating.RED: ["Discuss in supervision: the PEP needs rewriting with the DT and SW before it can be finalised."],
}

# Shares of the current term's PEPs.
CURRENT_SHARES = {"draft": 0.15, "submitted": 0.55, "reviewed": 0.20, "finalised": 0.10}
PAST_REVIEWED_SHARE = 0.40
# Share of returned PEPs amended and re-reviewed, by term (oldest first), and resubmitted
# (awaiting a second QA) in the current term.
AMENDED_SHARE = [0.8, 0.5]
CURRENT_AMENDED_SHARE = 0.3


def _out(stdout, text=""):
    (stdout or sys.stdout).write(text + "\n")


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower().replace(" ", ".") if ch.isalnum() or ch == ".")


def _email(name: str, domain: str) -> str:
    return f"{_slug(name)}@{domain}"


def _current_term_key(today: date) -> tuple[int, str]:
    if today.month >= 9:
        return today.year, Season.AUTUMN
    if today.month <= 3:
        return today.year - 1, Season.SPRING
    return today.year - 1, Season.SUMMER


def _previous_term_key(key: tuple[int, str]) -> tuple[int, str]:
    year, season = key
    if season == Season.AUTUMN:
        return year - 1, Season.SUMMER
    if season == Season.SPRING:
        return year, Season.AUTUMN
    return year, Season.SPRING


def _random_date(rng: random.Random, lo: date, hi: date) -> date:
    if hi <= lo:
        return lo
    day = lo + timedelta(days=rng.randint(0, (hi - lo).days))
    if day.weekday() >= 5:  # meetings and reviews happen on weekdays
        weekday = day - timedelta(days=day.weekday() - 4)
        day = weekday if weekday >= lo else day
    return day


def _moment(rng: random.Random, day: date, now: datetime) -> datetime:
    moment = timezone.make_aware(datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59))))
    return min(moment, now - timedelta(minutes=rng.randint(5, 60)))


def _split(items: list, shares: dict[str, float]) -> dict[str, list]:
    """Cut a list into consecutive groups of (rounded cumulative) shares."""
    groups, start, cumulative = {}, 0, 0.0
    for name, share in shares.items():
        cumulative += share
        end = round(cumulative * len(items))
        groups[name] = items[start:end]
        start = end
    return groups


def _school_year_label(year_group: int) -> str:
    return {-2: "the two-year-old room", -1: "Nursery", 0: "Reception"}.get(year_group, f"Year {year_group}")


class _Builder:
    def __init__(self, rng: random.Random, today: date, now: datetime, password: str, seed: int = 0):
        self.rng = rng
        self.today = today
        self.now = now
        self.password_hash = make_password(password)
        self.review_times: dict[int, tuple[datetime, datetime]] = {}
        self.pep_events: dict[int, list[datetime]] = defaultdict(list)
        self.reviews_submitted = 0
        self.reviews_draft = 0
        # What the builder alone knows of what it made: each school's kind, each PEP's
        # quality tier and share of the story (by child and term).
        self.school_kind: dict[int, str] = {}
        self.pep_tier: dict[tuple[int, int], Rating] = {}
        self.pep_group: dict[tuple[int, int], str] = {}
        # The facts the case-management and ePEP exports carry (UPNs, care dates, ePEP
        # references): from a generator of their own, so the school is the same as before.
        self.facts_rng = random.Random(f"{seed}-facts")
        self.epep_numbers = iter(range(880001, 10**7))

    # People and places -------------------------------------------------------------------

    def users(self) -> dict[str, User]:
        users: dict[str, User] = {}
        for username, role, first, last, title, manager, days in STAFF:
            users[username] = User.objects.create(
                username=username,
                password=self.password_hash,
                role=role,
                first_name=first,
                last_name=last,
                email=f"{first}.{last}@{EMAIL_DOMAIN}".lower().replace("'", ""),
                job_title=title,
                start_date=self.today - timedelta(days=days),
                line_manager=users[manager] if manager else None,
                is_staff=role == Role.ADMINISTRATOR,
            )
        # The administrator runs the Django admin through a group's model permissions, not
        # as a superuser: a superuser passes every check of the access policy, QA included.
        administrators, _ = Group.objects.get_or_create(name=ADMINISTRATORS_GROUP)
        administrators.permissions.set(Permission.objects.all())
        users["admin"].groups.add(administrators)
        users["lead"].lead_areas.set(LeadArea.objects.filter(code__in=LEAD_AREA_CODES))
        return users

    def schools(self) -> tuple[list[School], dict[int, DesignatedTeacher]]:
        rng = self.rng
        urns = rng.sample(range(100000, 150000), len(SCHOOLS))
        schools = School.objects.bulk_create(
            School(name=name, urn=str(urn), local_authority=la, is_out_of_authority=la != HOME_LA)
            for (name, _kind, la), urn in zip(SCHOOLS, urns, strict=True)
        )
        for school, (_name, kind, _la) in zip(schools, SCHOOLS, strict=True):
            self.school_kind[school.pk] = kind
        dts = DesignatedTeacher.objects.bulk_create(
            DesignatedTeacher(
                name=name,
                school=school,
                email=_email(name, _slug(school.name).replace(".", "-") + ".example.org"),
            )
            for school, name in zip(schools, rng.sample(DT_NAMES, len(schools)), strict=True)
        )
        return schools, {dt.school_id: dt for dt in dts}

    def social_care(self) -> dict[str, list[SocialWorker]]:
        teams = SocialCareTeam.objects.bulk_create(
            SocialCareTeam(name=name, manager_name=manager, manager_email=_email(manager, SOCIAL_CARE_DOMAIN))
            for name, manager, _workers in SOCIAL_CARE
        )
        workers = SocialWorker.objects.bulk_create(
            SocialWorker(name=worker, email=_email(worker, SOCIAL_CARE_DOMAIN), team=team)
            for team, (_name, _manager, names) in zip(teams, SOCIAL_CARE, strict=True)
            for worker in names
        )
        by_team: dict[str, list[SocialWorker]] = defaultdict(list)
        for worker in workers:
            by_team[worker.team.name].append(worker)
        return by_team

    def terms(self) -> list[Term]:
        """The current term and the two before it, oldest first."""
        keys = [_current_term_key(self.today)]
        for _ in range(2):
            keys.insert(0, _previous_term_key(keys[0]))
        terms = []
        for year, season in keys:
            start, end, deadline = default_term_dates(year, season)
            terms.append(Term(academic_year=year, season=season, start_date=start, end_date=end, pep_deadline=deadline))
        return Term.objects.bulk_create(terms)

    # Children ----------------------------------------------------------------------------

    def _year_group(self) -> int:
        rng = self.rng
        phase = rng.choices([Phase.EYFS, Phase.SSA, Phase.POST16], [12, 75, 13])[0]
        if phase == Phase.EYFS:
            return rng.choice([-2, -1, -1, 0, 0])
        if phase == Phase.POST16:
            return rng.choice([12, 12, 13])
        # Looked-after children skew older.
        return rng.choices(range(1, 12), [5, 5, 6, 6, 7, 7, 9, 10, 11, 12, 12])[0]

    def _date_of_birth(self, year_group: int, academic_year: int) -> date:
        # A child in Year Y in academic year A (Sept to Aug) was born Sept (A-5-Y) to Aug (A-4-Y).
        start = date(academic_year - 5 - year_group, 9, 1)
        return start + timedelta(days=self.rng.randint(0, 364))

    def _school_for(self, year_group, has_ehcp, schools) -> School:
        rng = self.rng
        years = {s.pk: SCHOOL_KINDS[self.school_kind[s.pk]] for s in schools}
        fits = [s for s in schools if years[s.pk][0] <= year_group <= years[s.pk][1]]
        special = [s for s in fits if self.school_kind[s.pk] in ("special", "semh")]
        if has_ehcp and special and rng.random() < 0.5:
            return rng.choice(special)
        mainstream = [s for s in fits if self.school_kind[s.pk] not in ("special", "semh")] or fits
        away = [s for s in mainstream if s.is_out_of_authority]
        home = [s for s in mainstream if not s.is_out_of_authority] or mainstream
        if away and rng.random() < 0.15:
            return rng.choice(away)
        return rng.choice(home)

    def _social_worker_for(self, year_group, has_ehcp, workers) -> SocialWorker:
        rng = self.rng
        if year_group >= 12 and rng.random() < 0.8:
            team = "Leaving Care Team"
        elif has_ehcp and rng.random() < 0.5:
            team = "Disabled Children's Team"
        else:
            team = rng.choice(["Children in Care Team 1", "Children in Care Team 2"])
        return rng.choice(workers[team])

    def children(self, count, users, schools, dts, workers, academic_year) -> list[Child]:
        rng = self.rng
        references = rng.sample(range(1000, 100000), count)
        officers = [users[name] for name in OFFICERS]
        slots = [officers[i % len(officers)] for i in range(count)]
        rng.shuffle(slots)
        children = []
        for reference, officer in zip(references, slots, strict=True):
            year_group = self._year_group()
            has_send = rng.random() < 0.30
            has_ehcp = has_send and rng.random() < 0.4
            school = self._school_for(year_group, has_ehcp, schools)
            children.append(
                Child(
                    la_reference=f"HVS-{reference:06d}",
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                    date_of_birth=self._date_of_birth(year_group, academic_year),
                    year_group=year_group,
                    school=school,
                    has_send=has_send,
                    has_ehcp=has_ehcp,
                    allocated_officer=officer,
                    social_worker=self._social_worker_for(year_group, has_ehcp, workers),
                    designated_teacher=dts[school.pk],
                )
            )
            self._care_facts(children[-1])
        return Child.objects.bulk_create(children)

    def _care_facts(self, child: Child) -> None:
        """A UPN (issued by Hillingdon, LA 312, when the child started school; UN1 before)
        and the date the child entered care."""
        rng = self.facts_rng
        if child.year_group < 0:
            child.upn = "UN1"
        else:
            body = f"312{rng.randint(2000, 7999)}{(child.date_of_birth.year + 5) % 100:02d}{rng.randint(0, 999):03d}"
            child.upn = stdnum_upn.calc_check_digit(body) + body
        child.entered_care_on = _random_date(
            rng, child.date_of_birth + timedelta(days=30), self.today - timedelta(days=45)
        )

    # PEPs --------------------------------------------------------------------------------

    def _aspirations_for(self, phase: str) -> list[tuple]:
        rng = self.rng
        letter = {Phase.EYFS: "e", Phase.SSA: "s", Phase.POST16: "p"}[Phase(phase)]
        pool = [a for a in ASPIRATIONS if letter in a[1]]
        chosen = rng.sample(pool, rng.choice([1, 2, 2, 3]))
        return [(cat, text, steps, rng.choice(TRUSTED_ADULTS[Phase(phase)])) for cat, _phases, text, steps in chosen]

    def pep(self, child, term, officer, status, tier, meeting_by: date) -> Pep:
        """A PEP's facts. `meeting_by` is the latest the meeting can have been held."""
        rng = self.rng
        phase = Phase.for_year_group(child.year_group)
        pep = Pep(child=child, term=term, officer=officer, phase=phase, status=status, year_group=child.year_group)
        self.pep_tier[child.pk, term.pk] = tier
        pep.epep_reference = f"EP-{next(self.epep_numbers)}"
        pep.epep_url = f"https://epep.example.com/pep/{pep.epep_reference}"
        if status == PepStatus.DRAFT:
            # Meeting not yet held: booked for the coming weeks, if still in the term.
            booked = _random_date(rng, self.today + timedelta(days=3), self.today + timedelta(days=21))
            pep.meeting_date = booked if booked <= term.end_date else None
            return pep
        window_end = min(term.start_date + timedelta(weeks=14), term.end_date - timedelta(days=7), meeting_by)
        if rng.random() < 0.88:
            latest = min(term.pep_deadline - timedelta(days=7), window_end)
            pep.meeting_date = _random_date(rng, term.start_date + timedelta(days=7), latest)
        else:
            pep.meeting_date = _random_date(rng, term.pep_deadline + timedelta(days=1), window_end)
        pep.meeting_date = min(pep.meeting_date, meeting_by)
        pep.next_meeting_date = _random_date(
            rng, pep.meeting_date + timedelta(weeks=12), pep.meeting_date + timedelta(weeks=15)
        )
        pep.date_completed = min(
            pep.meeting_date + timedelta(days=rng.choice([0, 1, 1, 2, 2, 3, 5, 7, 10])), meeting_by
        )
        pep.sw_attended = rng.random() < SW_ATTENDED[tier]
        pep.dt_attended = rng.random() < DT_ATTENDED[tier]
        pep.child_attended = rng.random() < CHILD_ATTENDED[tier]
        pep.carer_attended = rng.random() < CARER_ATTENDED[tier]
        pep.sw_section_updated = rng.random() < SW_SECTION[tier]
        pep.pp_plus_requested = rng.random() < (0.3 if phase == Phase.POST16 else 0.65)
        if pep.pp_plus_requested:
            pep.pp_plus_amount = Decimal(rng.randrange(300, 1501, 50))
        pep.attendance_percent = Decimal(str(round(rng.triangular(70, 100, 96), 1)))
        send = "ehcp" if child.has_ehcp else "send" if child.has_send else "none"
        words = {
            "first": child.first_name,
            "school": child.school.name,
            "year": _school_year_label(child.year_group),
            "send": SEND_LINES[send],
        }
        if tier != Rating.RED or rng.random() < 0.5:
            pep.child_views = rng.choice(CHILD_VIEWS[phase]).format(**words)
        pep.education_summary = rng.choice(EDUCATION_SUMMARIES[phase]).format(**words)
        pep.targets = rng.choice(TARGETS[phase]).format(**words)
        return pep

    # Reviews -----------------------------------------------------------------------------

    def _ratings(self, pep: Pep, positions: list[int], improve: bool = False) -> list[str]:
        rng = self.rng
        ratings = []
        for position in positions:
            rating = rng.choices(TIERS, AREA_DISTRIBUTION[self.pep_tier[pep.child_id, pep.term_id]])[0]
            # The pro-forma's criteria: the meeting is Gold only with everyone there, at
            # most Amber without the SW or DT; the SW section at most Amber if not updated.
            if position == 1 and not (pep.sw_attended and pep.dt_attended):
                rating = min(rating, Rating.AMBER, key=lambda r: r.rank)
            elif position == 1 and not (pep.child_attended and pep.carer_attended):
                rating = min(rating, Rating.GREEN, key=lambda r: r.rank)
            if position == 2 and not pep.sw_section_updated:
                rating = min(rating, Rating.AMBER, key=lambda r: r.rank)
            ratings.append(rating)
        if improve:  # after amendment by the DT and SW
            lifted = {
                Rating.RED: [Rating.AMBER, Rating.GREEN, Rating.GREEN],
                Rating.AMBER: [Rating.GREEN, Rating.GREEN, Rating.GREEN, Rating.GOLD],
            }
            ratings = [rng.choice(lifted[r]) if r in lifted else r for r in ratings]
        return [str(r) for r in ratings]

    def review(self, pep, reviewer, when: datetime, *, improve=False, submit=True):
        rng = self.rng
        review = start_review(pep, reviewer)
        area_ratings = list(review.area_ratings.select_related("area"))
        area_ratings.sort(key=lambda ar: ar.area.position)
        positions = [ar.area.position for ar in area_ratings]
        ratings = self._ratings(pep, positions, improve=improve)
        if not submit:  # a review in progress: the first few areas rated
            ratings = ratings[: rng.randint(2, max(2, len(ratings) - 3))]
        areas = {}
        for area_rating, rating in zip(area_ratings, ratings, strict=False):
            level = Rating(rating).rank
            comments = AREA_COMMENTS.get(area_rating.area.position, GENERIC_COMMENTS)
            areas[area_rating.pk] = AreaInput(rating, comments[3 - level])
        overall = rules.overall_judgement(ratings)
        save_review(
            review,
            areas,
            strengths=rng.choice(STRENGTHS[overall]) if submit else "",
            development_points=rng.choice(DEVELOPMENT_POINTS[overall]) if submit else "",
            submit=submit,
        )
        started = max(
            when - timedelta(minutes=rng.randint(20, 90)),
            timezone.make_aware(datetime.combine(when.date(), time(7, 30))),
        )
        self.review_times[review.pk] = (started, when)
        if submit:
            self.reviews_submitted += 1
            self.pep_events[pep.pk].append(when)  # returned or finalised
        else:
            self.reviews_draft += 1
        return review

    def amend(self, pep, by, when: datetime):
        pep.status = mark_amended(pep, by).status  # back to submitted, awaiting QA
        self.pep_events[pep.pk].append(when)

    def fix_timestamps(self, peps: list[Pep]):
        """The services stamp everything "now"; spread it over the terms instead."""
        reviews = list(QaReview.objects.filter(pk__in=self.review_times))
        for review in reviews:
            review.created_at, moment = self.review_times[review.pk]
            review.updated_at = moment
            if review.submitted_at:
                review.submitted_at = moment
        QaReview.objects.bulk_update(reviews, ["created_at", "updated_at", "submitted_at"])

        # A returned PEP's amendment (and its message) dates from its review's return; one
        # amended took a few days to.
        returned = {review.pk: review.submitted_at for review in reviews if review.submitted_at}
        amendments = list(Amendment.objects.filter(review_id__in=returned))
        for amendment in amendments:
            amendment.requested_at = returned[amendment.review_id]
            amendment.due_on = school_days_later(
                timezone.localdate(amendment.requested_at), settings.AMENDMENT_DUE_SCHOOL_DAYS
            )
            if amendment.amended_at:
                amendment.amended_at = min(amendment.requested_at + timedelta(days=self.rng.randint(2, 12)), self.now)
        Amendment.objects.bulk_update(amendments, ["requested_at", "due_on", "amended_at"])
        for amendment in amendments:
            Notice.objects.filter(pep_id=amendment.pep_id, kind=NoticeKind.RETURNED).update(
                created_at=amendment.requested_at
            )

        changes = list(PepStatusChange.objects.filter(pep_id__in=self.pep_events).order_by("pep_id", "pk"))
        seen: dict[int, int] = defaultdict(int)
        for change in changes:
            events = self.pep_events[change.pep_id]
            change.changed_at = events[min(seen[change.pep_id], len(events) - 1)]
            seen[change.pep_id] += 1
        PepStatusChange.objects.bulk_update(changes, ["changed_at"])

        for pep in peps:
            created = (pep.meeting_date or self.today) - timedelta(days=14)
            pep.created_at = _moment(self.rng, max(created, pep.term.start_date), self.now)
            last = self.pep_events.get(pep.pk)
            if last:
                pep.updated_at = last[-1]
            elif pep.date_completed:
                pep.updated_at = _moment(self.rng, pep.date_completed, self.now)
            else:
                pep.updated_at = pep.created_at
        Pep.objects.bulk_update(peps, ["created_at", "updated_at"], batch_size=500)


def _print_summary(users: dict[str, User], stdout) -> None:
    _out(stdout, f"{'username':<10}  {'role':<38}  name")
    _out(stdout, f"{'-' * 10}  {'-' * 38}  {'-' * 24}")
    for username in DEMO_USERNAMES:
        user = users[username]
        _out(stdout, f"{username:<10}  {user.get_role_display():<38}  {user.get_full_name()}")


def build_demo_school(
    *,
    password: str,
    seed: int = 2026,
    children: int = 200,
    stdout=None,
    today: date | None = None,
) -> dict:
    """Create the demo Virtual School in one transaction; return counts and usernames.

    Expects an empty school (see ``flush_demo_data``): demo usernames, terms and teams
    must not exist yet.
    """
    rng = random.Random(seed)
    today = today or date.today()
    now = timezone.now()
    builder = _Builder(rng, today, now, password, seed)
    with transaction.atomic():
        users = builder.users()
        schools, dts = builder.schools()
        workers = builder.social_care()
        terms = builder.terms()
        current_term = terms[-1]
        kids = builder.children(children, users, schools, dts, workers, current_term.academic_year)
        peps = _build_peps(builder, users, kids, terms)
        aspirations = _build_aspirations(builder, kids, peps)
        _review_peps(builder, users, peps, terms)
        builder.fix_timestamps(peps)
        samples = _draw_samples(users, terms)
        supervisions = _supervise(users, today)
        exemplars = _mark_gold_practice(users, peps)
        result = {
            "users": len(users),
            "schools": len(schools),
            "designated_teachers": len(dts),
            "social_care_teams": len(workers),
            "social_workers": sum(len(w) for w in workers.values()),
            "terms": len(terms),
            "children": len(kids),
            "peps": len(peps),
            "aspirations": aspirations,
            "reviews_submitted": builder.reviews_submitted,
            "reviews_draft": builder.reviews_draft,
            "status_changes": PepStatusChange.objects.filter(pep__in=peps).count(),
            "samples": samples["samples"],
            "sample_entries": samples["entries"],
            "supervisions": supervisions,
            "gold_exemplars": exemplars,
            "current_term": str(current_term),
            "usernames": list(DEMO_USERNAMES),
        }
    _print_summary(users, stdout)
    _out(stdout)
    _out(
        stdout,
        (
            f"{result['children']} children, {result['peps']} PEPs over {result['terms']} terms "
            f"(current: {result['current_term']}), {result['reviews_submitted']} submitted and "
            f"{result['reviews_draft']} draft QA reviews, {result['schools']} schools, "
            f"{result['social_workers']} social workers, {result['sample_entries']} PEPs in "
            f"{result['samples']} QA samples."
        ),
    )
    return result


def _build_peps(builder: _Builder, users, kids: list[Child], terms: list[Term]) -> list[Pep]:
    rng = builder.rng
    officers = [users[name] for name in OFFICERS]
    # The new starter's cases were held by colleagues under the same manager until now.
    previous_holder = {
        child.pk: rng.choice(
            [
                u
                for u in officers
                if u.line_manager_id == users[NEW_STARTER].line_manager_id and u.username != NEW_STARTER
            ]
        )
        for child in kids
        if child.allocated_officer_id == users[NEW_STARTER].pk
    }
    peps = []
    for index, term in enumerate(terms):
        is_current = index == len(terms) - 1
        by_officer: dict[str, list[Child]] = defaultdict(list)
        for child in kids:
            holder = child.allocated_officer
            if not is_current:
                holder = previous_holder.get(child.pk, holder)
            assert holder is not None  # every demo child has an officer
            by_officer[holder.username].append(child)
        for username in OFFICERS:
            officer = users[username]
            caseload = by_officer[username]
            rng.shuffle(caseload)
            if is_current:
                groups = _split(caseload, CURRENT_SHARES)
            else:
                groups = _split(caseload, {"reviewed": PAST_REVIEWED_SHARE, "finalised": 1 - PAST_REVIEWED_SHARE})
            weights = WEAKER_OFFICER_TIER_WEIGHTS if username == WEAKER_OFFICER else TIER_WEIGHTS
            for group, members in groups.items():
                status = {"draft": PepStatus.DRAFT, "finalised": PepStatus.FINALISED}.get(group, PepStatus.SUBMITTED)
                if not is_current:
                    meeting_by = term.end_date
                elif group == "submitted":
                    meeting_by = builder.today - timedelta(days=1)
                else:  # reviewed or finalised already: held a while ago
                    meeting_by = builder.today - timedelta(days=14)
                for child in members:
                    tier = rng.choices(TIERS, weights)[0]
                    pep = builder.pep(child, term, officer, status, tier, max(meeting_by, term.start_date))
                    builder.pep_group[child.pk, term.pk] = group
                    peps.append(pep)
    Pep.objects.bulk_create(peps, batch_size=500)
    return peps


def _build_aspirations(builder: _Builder, kids: list[Child], peps: list[Pep]) -> int:
    """An Aspiration Pathway per child, carried from PEP to PEP; now and then the child
    changes their mind about one entry."""
    rng = builder.rng
    pathway = {child.pk: builder._aspirations_for(child.phase) for child in kids}
    entries: list[AspirationEntry] = []
    for pep in sorted(peps, key=lambda p: (p.term.start_date, p.child.la_reference)):
        current = pathway[pep.child_id]
        if rng.random() < 0.15:
            current = current[:-1] + builder._aspirations_for(pep.phase)[:1]
            pathway[pep.child_id] = current
        entries.extend(
            AspirationEntry(pep=pep, category=cat, aspiration=text, steps=steps, trusted_adult=adult)
            for cat, text, steps, adult in current
        )
    AspirationEntry.objects.bulk_create(entries, batch_size=1000)
    return len(entries)


def _review_peps(builder: _Builder, users, peps: list[Pep], terms: list[Term]) -> None:
    rng, today, now = builder.rng, builder.today, builder.now
    yesterday = today - timedelta(days=1)
    for index, term in enumerate(terms):
        is_current = index == len(terms) - 1
        to_review = [p for p in peps if p.term_id == term.pk and builder.pep_group[p.child_id, term.pk] == "reviewed"]
        returned = []
        for pep in to_review:
            # A reviewed demo PEP has an officer and was completed.
            assert pep.officer is not None and pep.date_completed is not None
            manager = pep.officer.line_manager
            day = _random_date(
                rng, pep.date_completed + timedelta(days=2), min(pep.date_completed + timedelta(days=21), yesterday)
            )
            review = builder.review(pep, manager, _moment(rng, min(day, yesterday), now))
            if review.needs_amendment:
                returned.append((pep, day))
        share = CURRENT_AMENDED_SHARE if is_current else AMENDED_SHARE[index]
        for pep, day in returned:
            if rng.random() >= share:
                continue
            assert pep.officer is not None
            amended = min(day + timedelta(days=rng.randint(5, 15)), yesterday)
            builder.amend(pep, pep.officer, _moment(rng, amended, now))
            if is_current:
                continue  # back in the queue, awaiting a second QA
            again = min(amended + timedelta(days=rng.randint(1, 7)), yesterday)
            builder.review(pep, pep.officer.line_manager, _moment(rng, again, now), improve=True)
    # A couple of reviews in progress by `manager`, on PEPs awaiting QA.
    current = terms[-1]
    waiting = [
        p
        for p in peps
        if p.term_id == current.pk
        and builder.pep_group[p.child_id, current.pk] == "submitted"
        and p.officer is not None
        and p.officer.line_manager_id == users["manager"].pk
    ]
    for pep in rng.sample(waiting, min(2, len(waiting))):
        builder.review(pep, users["manager"], _moment(rng, today, now), submit=False)


def _area_titled(review: QaReview, title: str):
    return review.pro_forma.areas.filter(title=title).first()


def _supervise(users, today: date) -> int:
    """One-to-ones of ``manager`` with two of their officers, about their weakest recent
    reviews: an action still open and overdue, one followed up as done at the next
    supervision, one due within the week, and training (one done, one planned)."""
    manager, officer, officer2 = users["manager"], users["officer"], users["officer2"]

    def weakest(person, count):
        ranked = {"red": 0, "amber": 1, "green": 2, "gold": 3}
        reviews = list(recent_reviews_of(person, on=today))
        return sorted(reviews, key=lambda r: ranked.get(r.overall_judgement, 4))[:count]

    reviews = weakest(officer, 2)
    first = record_supervision(
        officer=officer,
        by=manager,
        date=today - timedelta(days=42),
        notes="Went through the QA of the last PEPs: targets were not SMART and the child's views were missing.",
        reviews=reviews,
        actions=[
            ActionInput(
                "Make every PEP target SMART, with who does what by when",
                officer,
                today - timedelta(days=14),
                review=reviews[0] if reviews else None,
                # The theme of the action, as the board report's "Actions arising" counts it.
                area=_area_titled(reviews[0], "Targets and outcomes") if reviews else None,
            ),
            ActionInput("Record the child's own views in every PEP", officer, today - timedelta(days=21)),
        ],
        training=[TrainingInput(TrainingKind.SHADOWING, "Aisha Rahman (VSP)", today - timedelta(days=28))],
    ).supervision
    shadowing = first.training.get()
    mark_training(shadowing, by=manager, status=TrainingStatus.DONE)
    views_action = first.actions.get(description__startswith="Record the child's")
    record_supervision(
        officer=officer,
        by=manager,
        date=today - timedelta(days=14),
        notes="The child's views are now in every PEP; the targets still need work.",
        reviews=weakest(officer, 1),
        actions=[
            ActionInput("Bring two draft PEPs with SMART targets to check together", officer, today + timedelta(days=5))
        ],
        training=[TrainingInput(TrainingKind.MODELLED, "Priya Chauhan (VS manager)", today + timedelta(days=10))],
        follow_ups=[FollowUpInput(views_action, ActionStatus.DONE, "Every PEP since has the child's views.")],
    )
    record_supervision(
        officer=officer2,
        by=manager,
        date=today - timedelta(days=21),
        notes="Discussed PP+ requests and how they link to the targets.",
        reviews=weakest(officer2, 1),
        actions=[ActionInput("Link every PP+ request to a PEP target", officer2, today + timedelta(days=21))],
    )
    return Supervision.objects.filter(officer__in=[officer, officer2]).count()


GOLD_MARKS = [
    (
        "Everyone at the meeting, and the child's voice in every section: the targets follow from what "
        "the child said they wanted, each with who does what by when.",
        "The child's voice shapes the targets",
        "The child took part in the meeting and their views are recorded in their own words. Every "
        "target follows from what the child said they wanted, and says who does what by when.",
    ),
    (
        "PP+ is asked for against two targets, with the evidence of the last term's spend and its impact.",
        "",
        "",
    ),
]


def _mark_gold_practice(users, peps: list[Pep]) -> int:
    """What made two Gold reviews Gold, marked by their reviewers (the PEP as a whole when
    judged Gold, else its first Gold area); the first in the library, anonymised by the
    VSH, the second a proposal for the VSH to curate."""
    reviews = list(
        QaReview.objects.filter(
            pep__in=peps,
            kind=ReviewKind.LINE_MANAGEMENT,
            status=ReviewStatus.SUBMITTED,
            area_ratings__rating=Rating.GOLD,
        )
        .distinct()
        .select_related("reviewer", "pep")
        .order_by("pk")
    )
    # Gold overall first, then those with a Gold area.
    reviews.sort(key=lambda review: review.overall_judgement != Rating.GOLD)
    marked = 0
    for review, (text, title, anonymised) in zip(reviews, GOLD_MARKS, strict=False):
        area = None if review.overall_judgement == Rating.GOLD else gold_areas(review)[0]
        mark, _ = mark_gold(review, review.reviewer, text, area=area)
        if title:
            accept_exemplar(mark, users["vsh"], title, anonymised)
        marked += 1
    return marked


def _draw_samples(users, terms: list[Term]) -> dict[str, int]:
    """The moderation group, then every term's QA samples (oldest first), so the worklists
    are populated; the reviews already made are ticked off on the entries they answer."""
    group, _ = ModerationGroup.objects.get_or_create(name=MODERATION_GROUP)
    group.members.set([users[name] for name in MODERATION_GROUP_MEMBERS])
    for term in terms:
        draw_term_samples(term)
    for review in QaReview.objects.filter(pep__term__in=terms).order_by("created_at", "pk"):
        record_review_in_samples(review)
    # This term, a sampled PEP is finalised by its QA review, never without one: such PEPs
    # go back to awaiting QA (finalise_pep refuses them too).
    current = max(terms, key=lambda t: t.start_date)
    Pep.objects.filter(
        pk__in=SampleEntry.objects.filter(
            sample__term=current, sample__kind="line_management", review__isnull=True
        ).values("pep"),
        status=PepStatus.FINALISED,
        judgement="",
    ).update(status=PepStatus.SUBMITTED)
    return {
        "samples": Sample.objects.filter(term__in=terms).count(),
        "entries": SampleEntry.objects.filter(sample__term__in=terms).count(),
    }


def flush_demo_data(stdout=None) -> dict:
    """Delete the school's data: reviews, PEPs, children, terms, schools, social care and
    every user except superusers whose usernames are not demo usernames. Pro-formas and
    lead areas (seeded by migrations) are kept."""
    deleted = {}
    with transaction.atomic():
        for model in (Supervision, QaReview, Pep, Child, Term, DesignatedTeacher, School, SocialWorker, SocialCareTeam):
            _total, per_model = model.objects.all().delete()  # the total counts cascades
            deleted[model._meta.verbose_name_plural] = per_model.get(model._meta.label, 0)
        users = User.objects.filter(Q(is_superuser=False) | Q(username__in=DEMO_USERNAMES))
        deleted["users"] = users.delete()[1].get(User._meta.label, 0)
    if stdout is not None:
        _out(stdout, "Deleted: " + ", ".join(f"{k} {v}" for k, v in deleted.items()) + ".")
    return deleted


def existing_data() -> list[str]:
    """What would stop a demo school being built: a non-empty list of reasons."""
    reasons = []
    if Child.objects.exists():
        reasons.append(f"{Child.objects.count()} children")
    if Term.objects.exists():
        reasons.append(f"{Term.objects.count()} terms")
    if School.objects.exists() or SocialCareTeam.objects.exists():
        reasons.append("schools or social care teams")
    clashing = list(User.objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True))
    if clashing:
        reasons.append("users " + ", ".join(sorted(clashing)))
    return reasons
