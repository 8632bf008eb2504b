"""Everyday prompts for safety-small, written here: the general questions, requests and small
talk people send any assistant (cooking, travel, science, money, health, code, school, greetings),
so the classifier learns that ordinary general-domain English is safe. Without them the only
general-domain English in training is the red-team set, and the classifier learns that anything
not about customer support or medicine is harmful ("hello" scored 0.92 before these existed).

prompts(rng, n) returns up to n distinct prompts, sampled with `rng`.
"""
from prompt_templates import fill, sample

GREETINGS = ["hi", "hello", "hey", "hi there", "hello!", "good morning", "good evening", "hey, how are you?",
             "how's it going?", "thanks!", "thank you so much", "ok", "cool", "bye", "see you later",
             "what's up?", "who are you?", "what can you do?", "are you a robot?", "can you help me?",
             "I have a question", "nice to meet you", "tell me a joke", "tell me something interesting",
             "I'm bored", "what should I do today?", "can we talk?", "you're great", "that didn't help",
             "let's start over", "never mind", "yes please", "no thanks", "what's your name?",
             "do you speak Japanese?", "can you write in French?", "sorry, I meant something else"]

TASKS = ["bake sourdough bread", "fix a leaking faucet", "change a flat tire", "learn to swim as an adult",
         "write a cover letter", "plan a trip to Kyoto", "start a vegetable garden", "train my puppy to sit",
         "improve my credit score", "study for a math exam", "set up a home Wi-Fi network", "make cold brew coffee",
         "clean a cast iron pan", "tie a tie", "meditate", "learn Python", "save money on groceries",
         "paint a bedroom", "write a haiku", "prepare for a job interview", "negotiate my salary",
         "back up my phone", "remove a red wine stain", "grow tomatoes on a balcony", "make a budget spreadsheet",
         "fall asleep faster", "cook rice without a rice cooker", "learn the guitar", "run my first 5k",
         "organize my closet", "write a wedding toast", "file my taxes", "build a bookshelf", "knit a scarf",
         "make friends in a new city", "take better photos with my phone", "care for a succulent",
         "make pancakes", "replace a light switch", "speed up my laptop", "learn to draw faces",
         "write a thank-you note", "choose a used car", "teach my kid to ride a bike", "make homemade pasta",
         "brew green tea properly", "install a ceiling fan", "practice public speaking", "read more books"]
TASK_FRAMES = ["How do I {t}?", "What's the best way to {t}?", "Can you help me {t}?", "Give me tips to {t}.",
               "I want to {t}. Where do I start?", "Explain step by step how to {t}.", "how to {t}",
               "Is it hard to {t}?", "What do I need to {t}?"]

CONCEPTS = ["photosynthesis", "inflation", "the Pythagorean theorem", "black holes", "compound interest",
            "machine learning", "the water cycle", "supply and demand", "DNA replication", "plate tectonics",
            "the stock market", "climate change", "quantum entanglement", "the immune system", "democracy",
            "a recession", "blockchain", "the theory of relativity", "an API", "recursion", "haiku poetry",
            "impressionism", "the Renaissance", "the electoral college", "a mortgage", "vaccines",
            "the greenhouse effect", "gravity", "evolution", "the French subjunctive", "a sonnet",
            "probability", "cloud computing", "the Krebs cycle", "minimalism", "stoicism", "jazz"]
CONCEPT_FRAMES = ["What is {c}?", "Explain {c} to a ten-year-old.", "Can you summarize {c} in three sentences?",
                  "Why is {c} important?", "What's a good book about {c}?", "Give me an example of {c}.",
                  "How does {c} work?"]

PLACES = ["Paris", "Tokyo", "the Grand Canyon", "Iceland", "New York", "Lisbon", "Kyoto", "Peru",
          "the Amazon rainforest", "Mount Everest", "Cape Town", "Sydney", "Rome", "Banff", "Seoul"]
PLACE_FRAMES = ["What should I see in {p}?", "When is the best time to visit {p}?", "What is {p} famous for?",
                "How many days do I need in {p}?", "What food should I try in {p}?", "Tell me about the history of {p}."]

WRITING = ["a birthday message for my mom", "a short poem about autumn", "an email asking for a deadline extension",
           "a product description for a handmade candle", "a bedtime story about a brave turtle",
           "a LinkedIn summary for a nurse", "a limerick about cats", "a thank-you email after an interview",
           "a tweet announcing our bakery's opening", "a recipe blog intro for lemon cake", "a toast for my best friend",
           "a polite complaint to my landlord", "a motivational quote for my team", "song lyrics about the ocean"]
WRITING_FRAMES = ["Write {w}.", "Can you draft {w}?", "Help me write {w}.", "I need {w}, can you help?"]

CODE = ["reverse a string in Python", "sort a list of dictionaries by a key", "read a CSV file in pandas",
        "center a div in CSS", "write a SQL join", "parse JSON in JavaScript", "use git rebase",
        "write a unit test in Java", "handle exceptions in C++", "make an HTTP request in Go",
        "set up a virtual environment", "find duplicates in an array", "write a regular expression for dates",
        "deploy a static site", "convert a date to ISO format", "merge two branches", "profile slow code"]
CODE_FRAMES = ["How do I {c}?", "Show me how to {c}.", "What's the cleanest way to {c}?", "Why does my attempt to {c} fail?"]

FACTS = ["How far is the Moon from Earth?", "Who wrote Pride and Prejudice?", "What is the tallest mountain in Africa?",
         "How many bones are in the human body?", "Why is the sky blue?", "What year did the Berlin Wall fall?",
         "Who painted the Mona Lisa?", "What is the boiling point of water at high altitude?",
         "How do airplanes stay in the air?", "What's the difference between a virus and bacteria?",
         "Why do cats purr?", "How long do elephants live?", "What causes the northern lights?",
         "What is the largest ocean?", "Who invented the telephone?", "How does a refrigerator work?",
         "What language is spoken in Brazil?", "How many players are on a soccer team?",
         "What's the speed of light?", "Why do leaves change color in the fall?", "What is the capital of Canada?",
         "Who was Cleopatra?", "What is the population of Japan?", "How are rainbows formed?",
         "What do pandas eat?", "How old is the universe?", "Why do we dream?", "What is a leap year?"]

ADVICE = ["I'm nervous about my first day at a new job.", "My friend forgot my birthday and I feel hurt.",
          "I can't decide between two colleges.", "How do I tell my roommate to clean up more?",
          "I feel unmotivated to exercise.", "My kids fight all the time, any advice?",
          "What should I get my dad for his birthday?", "How do I deal with a difficult coworker politely?",
          "I keep procrastinating on my thesis.", "Is it normal to feel tired after lunch?",
          "What are good hobbies for retirees?", "How do I apologize to my sister?",
          "Recommend a good science fiction novel.", "Suggest a vegetarian dinner for six people.",
          "What movie should I watch tonight?", "What's a fun board game for a family?",
          "Recommend some podcasts about history.", "Plan a three-day itinerary for Rome."]


def prompts(rng, n):
    pools = [
        GREETINGS, FACTS, ADVICE,
        sample(rng, fill(TASK_FRAMES, t=TASKS), 450),
        sample(rng, fill(CONCEPT_FRAMES, c=CONCEPTS), 250),
        sample(rng, fill(PLACE_FRAMES, p=PLACES), 90),
        sample(rng, fill(WRITING_FRAMES, w=WRITING), 56),
        sample(rng, fill(CODE_FRAMES, c=CODE), 68),
    ]
    return sample(rng, [x for p in pools for x in p], n)
