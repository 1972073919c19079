package synth

// Name tables, one per nationality, written as an officer of that country
// types them. Each list is "name, name, ..." in falling frequency; a name
// may carry an explicit share in percent ("Nguyễn=38"); the rest of the
// list shares what is left by a Zipf law over its rank. "male|female"
// gives both forms of a surname; otherwise the table's feminine rule (if
// any) derives the female form. A "·" marks the syllables of a Chinese
// given name: it is written joined, and split in aliases ("Xiu Ying").
//
// share is the nationality's weight across the whole list (normalised).

type script int

const (
	latin script = iota
	cyrillic
	greek
)

type tableSpec struct {
	code                     string
	share                    float64
	script                   script
	surnames, male, female   string
	middleMale, middleFemale string // Vietnamese: the middle name before the given name
	feminine                 func(string) string
	secondGiven              float64 // share with a second given name
	secondFromMale           bool    // the second given name is the father's (Arabic naming)
	doubleSurname            float64 // share with two surnames (Iberian naming)
	variants                 []variant
	tokenVariants            map[string][]string // word → other spellings of it
}

var tableSpecs = []tableSpec{
	{code: "RUS", share: 12, script: cyrillic, feminine: feminineRussian, variants: []variant{russianICAO, russianEnglish, russianGerman, russianFrench},
		surnames: "Иванов, Смирнов, Кузнецов, Попов, Васильев, Петров, Соколов, Михайлов, Новиков, Фёдоров, Морозов, Волков, Алексеев, Лебедев, Семёнов, Егоров, Павлов, Козлов, Степанов, Николаев, Орлов, Андреев, Макаров, Никитин, Захаров, Зайцев, Соловьёв, Борисов, Яковлев, Григорьев, Романов, Воробьёв, Сергеев, Кузьмин, Фролов, Александров, Дмитриев, Королёв, Гусев, Киселёв, Ильин, Максимов, Поляков, Сорокин, Виноградов, Ковалёв, Белов, Медведев, Антонов, Тарасов, Жуков, Баранов, Филиппов, Комаров, Давыдов, Беляев, Герасимов, Богданов, Осипов, Сидоров, Матвеев, Титов, Марков, Миронов, Крылов, Куликов, Карпов, Власов, Мельников, Денисов, Гаврилов, Тихонов, Казаков, Афанасьев, Данилов, Савельев, Тимофеев, Фомин, Чернов, Абрамов, Мартынов, Ефимов, Федотов, Щербаков, Назаров, Калинин, Исаев, Чернышёв, Быков, Маслов, Родионов, Коновалов, Лазарев, Воронин, Климов, Филатов, Пономарёв, Голубев, Кудрявцев, Прохоров, Наумов, Потапов, Журавлёв, Овчинников, Трофимов, Леонов, Соболев, Ермаков, Колесников, Гончаров, Емельянов, Никифоров, Грачёв, Котов, Гришин, Ефремов, Архипов, Громов, Кириллов, Малышев, Панов, Моисеев, Румянцев, Акимов, Кондратьев, Бирюков, Горбунов, Анисимов, Ерёмин, Тихомиров, Галкин, Лукьянов, Михеев, Скворцов, Юдин, Белоусов, Нестеров, Симонов, Прокофьев, Харитонов, Князев, Цветков, Левин, Митрофанов, Воронов, Аксёнов, Софронов, Мальцев, Логинов, Горшков, Савин, Краснов, Майоров, Демидов, Елисеев, Рыбаков, Сафонов, Плотников, Дёмин, Хохлов, Хомяков, Горбачёв, Ширяев, Островский, Лебединский, Толстой, Рыжий, Шевченко, Ковальчук",
		male:     "Александр, Сергей, Дмитрий, Андрей, Алексей, Владимир, Иван, Михаил, Николай, Евгений, Максим, Артём, Игорь, Юрий, Виктор, Олег, Павел, Денис, Роман, Константин, Антон, Вячеслав, Анатолий, Илья, Никита, Кирилл, Геннадий, Валерий, Григорий, Фёдор, Василий, Борис, Пётр, Егор, Тимофей, Станислав, Леонид, Вадим, Руслан, Ярослав, Глеб, Степан",
		female:   "Елена, Ольга, Наталья, Татьяна, Ирина, Анна, Мария, Светлана, Екатерина, Юлия, Людмила, Галина, Марина, Анастасия, Надежда, Валентина, Дарья, Ксения, Виктория, Любовь, Вера, Оксана, Нина, Алёна, Полина, Софья, Лариса, Зоя, Жанна, Евгения, Алла, Кристина, Маргарита, Тамара, Василиса, Элина, Яна, Раиса, Лидия, Инна, Варвара, Ульяна"},
	{code: "VNM", share: 10, script: latin, variants: []variant{foldPlain},
		surnames:     "Nguyễn=38, Trần=11, Lê=9.5, Phạm=7, Hoàng=4.1, Phan=4.5, Vũ=2, Võ=1.9, Đặng=2.1, Bùi=2, Đỗ=1.4, Hồ=1.3, Ngô=1.3, Huỳnh=1, Dương=1, Lý=0.5, Đinh, Đoàn, Lâm, Mai, Trịnh, Trương, Cao, Lương, Tạ, Hà, Tô, Châu, Quách, Lưu, Thái, Tăng, Kiều, La, Vương, Đào, Triệu, Phùng, Hứa, Mạc, Thân, Khúc, Từ, Chu, Diệp, Giang, Nghiêm, Ông",
		middleMale:   "Văn=45, Đức, Minh, Quang, Hữu, Công, Thành, Ngọc, Xuân, Tuấn, Trọng, Đình, Quốc, Anh, Hoàng, Mạnh",
		middleFemale: "Thị=55, Ngọc, Thu, Thanh, Kim, Mỹ, Phương, Hoài, Bích, Minh, Thùy, Khánh, Diệu, Hồng, Tuyết, Lan",
		male:         "Minh, Hùng, Dũng, Tuấn, Anh, Hải, Nam, Long, Sơn, Thắng, Phong, Hiếu, Khoa, Trung, Bình, Cường, Đạt, Huy, Khánh, Lâm, Phúc, Quân, Tài, Thịnh, Toàn, Vinh, Việt, Hoàng, Kiên, Tùng, Hưng, Duy, Thanh, Tâm, Lộc, Nghĩa, Quý, Thiện, Trí, Vũ, Đức, Bảo",
		female:       "Hương, Lan, Linh, Mai, Hoa, Ngọc, Trang, Thảo, Thủy, Hà, Nhung, Yến, Vân, Hằng, Hạnh, Loan, Nga, Oanh, Phương, Quỳnh, Tâm, Thúy, Trinh, Uyên, Vy, Xuân, Duyên, Giang, Hiền, Huyền, Anh, Chi, Dung, Hồng, Liên, My, Nhi, Tuyết, Ánh, Diệp, Châu, Đào"},
	{code: "TUR", share: 8, script: latin, variants: []variant{foldPlain},
		surnames: "Yılmaz, Kaya, Demir, Şahin, Çelik, Yıldız, Yıldırım, Öztürk, Aydın, Özdemir, Arslan, Doğan, Kılıç, Aslan, Çetin, Kara, Koç, Kurt, Özkan, Şimşek, Polat, Özer, Korkmaz, Çakır, Erdoğan, Yavuz, Can, Acar, Şen, Aktaş, Güler, Yalçın, Güneş, Bozkurt, Bulut, Keskin, Ünal, Turan, Gül, Özgür, Aksoy, Işık, Tekin, Uçar, Altun, Kaplan, Avcı, Taş, Sarı, Coşkun",
		male:     "Mehmet, Mustafa, Ahmet, Ali, Hüseyin, Hasan, İbrahim, İsmail, Osman, Yusuf, Murat, Ömer, Ramazan, Halil, Süleyman, Abdullah, Mahmut, Salih, Kemal, Recep, Emre, Burak, Serkan, Fatih, Oğuz, Çağrı, Gökhan, Uğur, Yasin, Eren, Kaan, Barış",
		female:   "Fatma, Ayşe, Emine, Hatice, Zeynep, Elif, Meryem, Şerife, Zehra, Sultan, Hanife, Merve, Havva, Zeliha, Esra, Fadime, Özlem, Hülya, Yasemin, Gülsüm, Büşra, Şeyma, Derya, Gül, Ebru, Dilek, Gülşen, Songül, Nur, Tuğba"},
	{code: "UKR", share: 7, script: cyrillic, feminine: feminineUkrainian, variants: []variant{ukrainianNational, ukrainianEnglish, ukrainianGerman},
		surnames: "Шевченко, Мельник, Бойко, Коваленко, Бондаренко, Ткаченко, Ковальчук, Кравченко, Олійник, Шевчук, Поліщук, Коваль, Бондар, Ткачук, Марченко, Мороз, Лисенко, Руденко, Савченко, Петренко, Клименко, Павленко, Кравчук, Кузьменко, Гончаренко, Левченко, Харченко, Карпенко, Швець, Романенко, Мазур, Литвиненко, Мельничук, Сидоренко, Панченко, Кушнір, Костенко, Гребенюк, Ковальов, Дяченко, Іваненко, Кириленко, Приходько, Федоренко, Гнатюк, Яковенко, Пономаренко, Білоус, Ярошенко, Захарченко, Вишневський, Ковальський, Білий, Юрченко, Остапенко",
		male:     "Олександр, Сергій, Андрій, Володимир, Юрій, Олег, Іван, Василь, Микола, Дмитро, Віктор, Михайло, Петро, Богдан, Тарас, Максим, Ігор, Роман, Євген, Анатолій, Валерій, Григорій, Степан, Ярослав, Остап",
		female:   "Олена, Наталія, Тетяна, Ірина, Оксана, Світлана, Людмила, Марія, Галина, Юлія, Ольга, Валентина, Анна, Катерина, Вікторія, Лариса, Надія, Ганна, Любов, Софія, Олеся, Дарина, Христина, Соломія, Ярослава"},
	{code: "CHN", share: 6, script: latin, variants: []variant{foldPlain},
		tokenVariants: chineseVariants,
		surnames:      "Wang=7.25, Li=7.19, Zhang=6.83, Liu=5.38, Chen=4.53, Yang=3.08, Huang=2.23, Zhao=2.11, Wu=2.05, Zhou=1.89, Xu=1.45, Sun=1.38, Ma=1.29, Zhu=1.28, Hu=1.16, Guo=1.13, He=1.05, Lin=1.04, Gao=1, Luo=0.97, Zheng, Liang, Xie, Song, Tang, Han, Feng, Deng, Cao, Peng, Zeng, Xiao, Tian, Dong, Pan, Yuan, Cai, Jiang, Yu, Du, Ye, Cheng, Wei, Su, Lü",
		male:          "Wei, Jun, Lei, Yong, Jie, Tao, Ming, Chao, Qiang, Jian, Bo, Hao, Peng, Gang, Hua, Jian·guo, Jian·hua, Zhi·qiang, Hao·ran, Yu·xuan, Zi·hao, Xiao·ming, Dong, Bin, Liang, Kai, Fei, Hui, Jun·jie, Wen·bo",
		female:        "Fang, Xiu·ying, Na, Min, Jing, Li, Yan, Juan, Xia, Ling, Ping, Hong, Yu, Ying, Hui, Lan, Yun, Xiu·zhen, Gui·ying, Yu·mei, Xiao·yan, Yu·xin, Zi·xuan, Yi·ting, Mei, Qian, Li·li, Dan, Xue, Jia·yi"},
	{code: "IND", share: 5, script: latin, secondGiven: 0.15, tokenVariants: arabicVariants,
		surnames: "Kumar|Kumari, Singh|Kaur, Sharma, Patel, Yadav, Gupta, Khan, Das, Reddy, Shah, Verma, Mishra, Jain, Mehta, Joshi, Pandey, Chauhan, Rao, Nair, Iyer, Pillai, Menon, Banerjee, Chatterjee, Mukherjee, Ghosh, Bose, Sen, Dutta, Chaudhary, Thakur, Agarwal, Bhat, Malhotra, Kapoor, Saxena, Srivastava, Tiwari, Dubey, Naidu, Shetty, Desai, Kulkarni, Patil, Gill, Sandhu, Sidhu, Ahmed, Ali, Devi",
		male:     "Rahul, Amit, Rajesh, Suresh, Ramesh, Sanjay, Vijay, Anil, Sunil, Ajay, Manoj, Deepak, Ravi, Arun, Vikram, Rohit, Ashok, Mahesh, Pradeep, Mohammed, Abdul, Arjun, Aditya, Rakesh, Sandeep, Harish, Gaurav, Nitin, Prakash, Venkatesh",
		female:   "Sunita, Anita, Priya, Pooja, Neha, Kavita, Rekha, Asha, Geeta, Lakshmi, Meena, Savita, Shanti, Usha, Anjali, Divya, Deepa, Kiran, Suman, Nisha, Radha, Sita, Poonam, Rani, Swati, Shweta, Fatima, Aishwarya, Lata, Padma"},
	{code: "D", share: 5, script: latin, secondGiven: 0.3, variants: []variant{foldGerman, foldPlain},
		surnames: "Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, Hoffmann, Schäfer, Koch, Bauer, Richter, Klein, Wolf, Schröder, Neumann, Schwarz, Zimmermann, Braun, Krüger, Hofmann, Hartmann, Lange, Schmitt, Werner, Schmitz, Krause, Meier, Lehmann, Schmid, Schulze, Maier, Köhler, Herrmann, König, Walter, Mayer, Huber, Kaiser, Fuchs, Peters, Lang, Scholz, Möller, Weiß, Jung, Hahn, Schubert, Vogel, Friedrich, Keller, Günther, Frank, Berger, Winkler, Roth, Beck, Lorenz, Baumann, Franke, Albrecht, Schuster, Simon, Ludwig, Böhm, Winter, Kraus, Martin, Schumacher, Krämer, Vogt, Stein, Jäger, Otto, Sommer, Groß, Seidel, Heinrich, Brandt, Haas, Schreiber, Graf, Schulte, Dietrich, Ziegler, Kuhn, Kühn, Pohl, Engel, Horn, Busch, Bergmann, Thomas, Voigt, Sauer, Arnold, Wolff, Pfeiffer, Yılmaz, Kaya, Nowak, Kowalski",
		male:     "Peter, Michael, Thomas, Andreas, Wolfgang, Klaus, Jürgen, Stefan, Hans, Uwe, Christian, Bernd, Frank, Markus, Matthias, Alexander, Dieter, Jörg, Günter, Martin, Sebastian, Werner, Ralf, Jan, Tobias, Horst, Daniel, Helmut, Manfred, Sven, Lukas, Jonas, Leon, Maximilian, Felix, Jörn, Björn, Dirk, Holger, Rüdiger, Karl-Heinz, Hans-Jürgen",
		female:   "Ursula, Sabine, Monika, Petra, Claudia, Susanne, Andrea, Birgit, Karin, Renate, Gabriele, Stefanie, Julia, Anna, Katharina, Christina, Nicole, Heike, Brigitte, Ingrid, Jutta, Martina, Sandra, Laura, Lena, Sophie, Hannah, Marie, Jana, Anja, Bärbel, Gisela, Elke, Käthe, Dörte, Gudrun, Helga, Tanja, Lea, Jülide, Anne-Kathrin, Hannelore"},
	{code: "POL", share: 4.5, script: latin, feminine: femininePolish, variants: []variant{foldPlain},
		surnames: "Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Kamiński, Lewandowski, Zieliński, Szymański, Woźniak, Dąbrowski, Kozłowski, Jankowski, Mazur, Wojciechowski, Kwiatkowski, Krawczyk, Kaczmarek, Piotrowski, Grabowski, Zając, Pawłowski, Michalski, Król, Wieczorek, Jabłoński, Wróbel, Nowakowski, Majewski, Olszewski, Stępień, Malinowski, Jaworski, Adamczyk, Dudek, Nowicki, Pawlak, Górski, Witkowski, Walczak, Sikora, Baran, Rutkowski, Michalak, Szewczyk, Ostrowski, Tomaszewski, Pietrzak, Zalewski, Wróblewski, Zawadzki, Sobczak",
		male:     "Piotr, Krzysztof, Andrzej, Tomasz, Paweł, Jan, Michał, Marcin, Jakub, Adam, Łukasz, Marek, Grzegorz, Mateusz, Wojciech, Mariusz, Dariusz, Zbigniew, Maciej, Rafał, Kamil, Józef, Szymon, Stanisław, Jerzy, Ryszard, Tadeusz, Henryk",
		female:   "Anna, Katarzyna, Maria, Małgorzata, Agnieszka, Barbara, Ewa, Krystyna, Magdalena, Elżbieta, Joanna, Aleksandra, Zofia, Monika, Teresa, Danuta, Natalia, Julia, Karolina, Marta, Beata, Dorota, Halina, Jadwiga, Grażyna, Bożena, Irena, Urszula"},
	{code: "MAR", share: 4, script: latin, secondGiven: 0.2, secondFromMale: true, tokenVariants: arabicVariants, variants: []variant{foldPlain},
		surnames: "El Idrissi, Alaoui, Benali, Bennani, El Amrani, Tazi, Berrada, Benjelloun, El Fassi, Chraibi, Ouazzani, El Mansouri, Belhaj, Bouzidi, Amrani, Lahlou, Benkirane, Ziani, El Khattabi, Hajji, Naciri, Cherkaoui, Sebti, Slaoui, El Ouardi, Aït Ali, Ouali, Boukhari, Mernissi, Filali, Benmoussa, Kabbaj, Squalli, Guessous, Skalli, Bouazza, El Alami, Benchekroun, Tahiri, Zerouali, El Yousfi, Bakkali",
		male:     "Mohamed=22, Ahmed, Abdellah, Youssef, Hassan, Rachid, Mustapha, Khalid, Said, Omar, Hamid, Karim, Abdelaziz, Driss, Mehdi, Hicham, Nabil, Samir, Yassine, Amine, Ayoub, Anas, Othmane, Brahim, Mouad",
		female:   "Fatima, Khadija, Aicha, Fatima Zahra, Naima, Malika, Rachida, Zineb, Amina, Hanane, Samira, Nadia, Saida, Meryem, Salma, Imane, Sanaa, Latifa, Loubna, Hafsa, Ikram, Chaimae, Houda, Asmae, Soukaina"},
	{code: "EGY", share: 3.5, script: latin, secondGiven: 0.6, secondFromMale: true, tokenVariants: arabicVariants,
		surnames: "Mohamed, Ahmed, Hassan, Ali, Mahmoud, Ibrahim, Mostafa, Abdel Rahman, El Sayed, Abdallah, Hussein, Salah, Khalil, Farouk, Mansour, Youssef, Gamal, Fathy, Saad, Ramadan, Abdel Aziz, Shaker, Soliman, Nasser, Ezzat, Hamdy, El Masry, Abdel Hamid, Osman, Sherif, Fouad, Kamal, Magdy, Nabil, Samir, Tawfik, Zaki, Rashad, Helmy, Adel, Girgis, Hanna",
		male:     "Mohamed=25, Ahmed, Mahmoud, Mostafa, Ali, Hassan, Omar, Khaled, Youssef, Ibrahim, Karim, Amr, Tarek, Hany, Sherif, Walid, Hossam, Ayman, Islam, Abdel Rahman, Hesham, Mina, Bishoy, Ramy, Sameh, Wael, Ashraf, Osama, Hamza, Ehab",
		female:   "Fatma, Mariam, Nour, Aya, Salma, Esraa, Heba, Mona, Yasmin, Sara, Rana, Dina, Amira, Nada, Eman, Shaimaa, Asmaa, Hoda, Marwa, Doaa, Reem, Mai, Nadia, Samar, Ghada"},
	{code: "SYR", share: 3.5, script: latin, secondGiven: 0.6, secondFromMale: true, tokenVariants: arabicVariants,
		surnames: "Al-Ahmad, Al-Hussein, Al-Ali, Al-Hassan, Al-Khatib, Al-Masri, Al-Halabi, Al-Shami, Haddad, Khoury, Hamdan, Qassem, Darwish, Najjar, Saleh, Ibrahim, Mansour, Othman, Sabbagh, Aziz, Kurdi, Issa, Yousef, Hamoud, Sheikh, Al-Hamwi, Al-Homsi, Attar, Zein, Barakat, Al-Khalil, Al-Omar, Al-Saleh, Shaheen, Jaber, Nasser, Khalaf, Suleiman, Mustafa, Al-Rifai, Hijazi",
		male:     "Mohammad=20, Ahmad, Mahmoud, Khaled, Omar, Ali, Hassan, Hussein, Abdulrahman, Mustafa, Youssef, Ibrahim, Bashar, Rami, Fadi, Samer, Ammar, Anas, Hamza, Majd, Tarek, Bassel, Nizar, Ghaith, Wassim",
		female:   "Fatima, Maryam, Rama, Hala, Rasha, Lama, Nour, Ghada, Reem, Amal, Hiba, Dima, Lina, Rana, Yara, Sawsan, Raghad, Bushra, Aya, Hanan"},
	{code: "IRQ", share: 3, script: latin, secondGiven: 0.7, secondFromMale: true, tokenVariants: arabicVariants,
		surnames: "Al-Jubouri, Al-Dulaimi, Al-Tamimi, Al-Obaidi, Al-Shammari, Al-Zubaidi, Al-Khafaji, Al-Saadi, Al-Rubaie, Al-Hashimi, Al-Maliki, Al-Janabi, Al-Azzawi, Al-Bayati, Al-Sudani, Al-Moussawi, Al-Hakim, Al-Samarrai, Al-Ani, Al-Karkhi, Hussein, Abbas, Kadhim, Jassim, Hassan, Ali, Mahdi, Jabbar, Salman, Hamid, Al-Kubaisi, Al-Hamdani, Al-Rawi, Al-Naimi, Al-Najafi, Al-Basri, Al-Mosuli, Al-Daraji, Al-Ameri, Al-Fatlawi, Al-Sharifi",
		male:     "Mohammed=20, Ali, Hussein, Ahmed, Mustafa, Abbas, Hassan, Haider, Omar, Karrar, Zaid, Mahdi, Jassim, Kadhim, Sajjad, Murtadha, Yaser, Ammar, Qasim, Salah, Hamid, Adel, Firas, Saif, Muhannad",
		female:   "Fatima, Zainab, Maryam, Noor, Sara, Huda, Zahraa, Ruqaya, Shahad, Hiba, Aya, Rasha, Suha, Wafaa, Iman, Layla, Nadia, Sana, Amal, Duaa"},
	{code: "NGA", share: 3, script: latin, secondGiven: 0.4, tokenVariants: arabicVariants,
		surnames: "Okafor, Adeyemi, Ibrahim, Mohammed, Okonkwo, Abubakar, Bello, Eze, Nwosu, Okeke, Adebayo, Ogunleye, Suleiman, Usman, Chukwu, Olawale, Babatunde, Afolabi, Musa, Yusuf, Aliyu, Danjuma, Obi, Nwachukwu, Ogbonna, Olatunji, Akinwale, Oyelaran, Adewale, Okoro, Okoye, Balogun, Lawal, Salami, Oladipo, Ojo, Ogundipe, Ekwueme, Onuoha, Ibekwe, Nwankwo, Abdullahi",
		male:     "Chinedu, Emeka, Oluwaseun, Ibrahim, Mohammed, Abdullahi, Musa, Samuel, David, Daniel, John, Joseph, Chukwuemeka, Olumide, Tunde, Segun, Adebayo, Babajide, Uchenna, Ikechukwu, Abubakar, Sani, Aliyu, Yusuf, Kelechi, Femi, Obinna, Nnamdi, Emmanuel, Godwin",
		female:   "Ngozi, Chiamaka, Aisha, Fatima, Blessing, Grace, Funmilayo, Oluwakemi, Adaeze, Chioma, Amina, Zainab, Folake, Yetunde, Nkechi, Halima, Mary, Esther, Precious, Temitope, Bukola, Ifeoma, Hadiza, Hauwa, Joy"},
	{code: "GBR", share: 2.5, script: latin, secondGiven: 0.55, variants: []variant{foldPlain},
		surnames: "Smith, Jones, Williams, Taylor, Brown, Davies, Evans, Wilson, Thomas, Johnson, Roberts, Robinson, Thompson, Wright, Walker, White, Edwards, Hughes, Green, Hall, Lewis, Harris, Clarke, Patel, Jackson, Wood, Turner, Martin, Cooper, Hill, Ward, Morris, Moore, Clark, Lee, King, Baker, Harrison, Morgan, Allen, James, Scott, Phillips, Watson, Davis, Parker, Price, Bennett, Young, Griffiths, O'Brien, McDonald, Ó Súilleabháin",
		male:     "David, John, Paul, Mark, James, Andrew, Michael, Peter, Robert, Stephen, Richard, Christopher, Ian, Daniel, Simon, Thomas, William, Matthew, Steven, Anthony, Oliver, George, Harry, Jack, Charlie, Jacob, Alfie, Noah, Edward, Gareth, Seán",
		female:   "Susan, Sarah, Margaret, Patricia, Elizabeth, Helen, Julie, Karen, Jennifer, Catherine, Emma, Claire, Nicola, Amanda, Rachel, Deborah, Joanne, Olivia, Amelia, Isla, Emily, Jessica, Sophie, Charlotte, Lucy, Hannah, Rebecca, Siobhán, Megan, Zoë"},
	{code: "USA", share: 2.5, script: latin, secondGiven: 0.6, variants: []variant{foldPlain},
		surnames: "Smith, Johnson, Williams, Brown, Jones, Garcia, Miller, Davis, Rodriguez, Martinez, Hernandez, Lopez, Gonzalez, Wilson, Anderson, Thomas, Taylor, Moore, Jackson, Martin, Lee, Perez, Thompson, White, Harris, Sanchez, Clark, Ramirez, Lewis, Robinson, Walker, Young, Allen, King, Wright, Scott, Torres, Nguyen, Hill, Flores, Green, Adams, Nelson, Baker, Hall, Rivera, Campbell, Mitchell, Carter, Roberts, Peña",
		male:     "James, Robert, John, Michael, David, William, Richard, Joseph, Thomas, Christopher, Charles, Daniel, Matthew, Anthony, Mark, Donald, Steven, Andrew, Paul, Joshua, Kenneth, Kevin, Brian, George, Timothy, Ronald, Jason, Edward, Jeffrey, Ryan, José",
		female:   "Mary, Patricia, Jennifer, Linda, Elizabeth, Barbara, Susan, Jessica, Sarah, Karen, Lisa, Nancy, Betty, Sandra, Margaret, Ashley, Kimberly, Emily, Donna, Michelle, Carol, Amanda, Melissa, Deborah, Stephanie, Dorothy, Rebecca, Sharon, Laura, Cynthia, Renée"},
	{code: "FRA", share: 2.2, script: latin, secondGiven: 0.3, variants: []variant{foldPlain, hyphenToSpace},
		surnames: "Martin, Bernard, Thomas, Petit, Robert, Richard, Durand, Dubois, Moreau, Laurent, Simon, Michel, Lefèvre, Leroy, Roux, David, Bertrand, Morel, Fournier, Girard, Bonnet, Dupont, Lambert, Fontaine, Rousseau, Vincent, Muller, Lefebvre, Faure, André, Mercier, Blanc, Guérin, Boyer, Garnier, Chevalier, François, Legrand, Gauthier, Garcia, Perrin, Robin, Clément, Morin, Nicolas, Henry, Roussel, Mathieu, Gautier, Masson, Benoît, Ménard, Lemaître, Hébert",
		male:     "Jean, Pierre, Michel, Philippe, Alain, Nicolas, Christophe, Patrick, Daniel, Bernard, Éric, Frédéric, Laurent, Stéphane, Olivier, Sébastien, Thierry, David, Julien, Jean-Pierre, Jean-Luc, François, Jérôme, Hugo, Lucas, Théo, Léo, Raphaël, Gaël, Jean-François",
		female:   "Marie, Nathalie, Isabelle, Sylvie, Catherine, Françoise, Martine, Christine, Monique, Valérie, Sandrine, Nicole, Véronique, Sophie, Céline, Chantal, Hélène, Émilie, Camille, Léa, Manon, Chloé, Inès, Zoé, Anaïs, Mélanie, Aurélie, Noémie, Marie-Claire, Anne-Sophie"},
	{code: "ESP", share: 2, script: latin, doubleSurname: 0.95, variants: []variant{foldPlain},
		surnames: "García, Rodríguez, González, Fernández, López, Martínez, Sánchez, Pérez, Gómez, Martín, Jiménez, Ruiz, Hernández, Díaz, Moreno, Muñoz, Álvarez, Romero, Alonso, Gutiérrez, Navarro, Torres, Domínguez, Vázquez, Ramos, Gil, Ramírez, Serrano, Blanco, Molina, Morales, Suárez, Ortega, Delgado, Castro, Ortiz, Rubio, Marín, Sanz, Núñez, Iglesias, Medina, Garrido, Cortés, Castillo, Santos, Lozano, Guerrero, Cano, Prieto, Ibáñez, Peña",
		male:     "Antonio, José, Manuel, Francisco, David, Juan, Javier, José Antonio, Daniel, José Luis, Francisco Javier, Carlos, Jesús, Alejandro, Miguel, José Manuel, Rafael, Pedro, Ángel, Pablo, Sergio, Fernando, Jorge, Luis, Alberto, Álvaro, Adrián, Iñaki, Joaquín, Andrés",
		female:   "María Carmen, María, Carmen, Ana María, Josefa, Isabel, Laura, María Pilar, María Dolores, Ana, Lucía, Cristina, Marta, Francisca, María Teresa, Dolores, Paula, Elena, Raquel, Sara, Pilar, Concepción, Manuela, Mercedes, Rosa María, Begoña, Nuria, Sofía, Inés, Ainhoa"},
	{code: "ROU", share: 2, script: latin, variants: []variant{foldPlain},
		surnames: "Popescu, Popa, Pop, Radu, Ionescu, Dumitru, Stan, Stoica, Gheorghe, Matei, Ciobanu, Constantin, Rusu, Mocanu, Ioniță, Munteanu, Moldovan, Florea, Dinu, Marin, Lungu, Șerban, Tudor, Niculescu, Bălan, Manea, Vasile, Toma, Nistor, Grigore, Cristea, Oprea, Dobre, Barbu, Sârbu, Ștefan, Anghel, Enache, Lazăr, Mihai, Neagu, Petrescu, Voicu",
		male:     "Ion, Gheorghe, Vasile, Constantin, Alexandru, Mihai, Andrei, Ștefan, Florin, Adrian, Marian, Dumitru, Nicolae, Cristian, Ionuț, Bogdan, Răzvan, Cătălin, Sorin, Ovidiu",
		female:   "Maria, Elena, Ioana, Ana, Mihaela, Andreea, Cristina, Gabriela, Daniela, Alexandra, Florentina, Georgiana, Ramona, Nicoleta, Alina, Ștefania, Mădălina, Roxana, Irina, Larisa"},
	{code: "ITA", share: 1.8, script: latin, variants: []variant{foldPlain},
		surnames: "Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, Bruno, Gallo, Conti, De Luca, Mancini, Costa, Giordano, Rizzo, Lombardi, Moretti, Barbieri, Fontana, Santoro, Mariani, Rinaldi, Caruso, Ferrara, Galli, Martini, Leone, Longo, Gentile, Martinelli, Vitale, Lombardo, Serra, Coppola, De Santis, D'Angelo, Marchetti, Parisi, Villa, Conte, Ferraro, Ferri, Fabbri, Bianco, Marini, Grasso, Valentini, Nicolò",
		male:     "Giuseppe, Giovanni, Antonio, Mario, Luigi, Francesco, Angelo, Vincenzo, Pietro, Salvatore, Carlo, Franco, Domenico, Bruno, Paolo, Michele, Giorgio, Aldo, Sergio, Luca, Marco, Andrea, Alessandro, Matteo, Lorenzo, Niccolò",
		female:   "Maria, Anna, Giuseppina, Rosa, Angela, Giovanna, Teresa, Lucia, Carmela, Caterina, Francesca, Anna Maria, Antonietta, Carla, Elena, Concetta, Rita, Margherita, Giulia, Sofia, Chiara, Aurora, Alessia, Martina, Federica, Elisa"},
	{code: "BRA", share: 1.6, script: latin, doubleSurname: 0.6, secondGiven: 0.35, variants: []variant{foldPlain},
		surnames: "Silva, Santos, Oliveira, Souza, Rodrigues, Ferreira, Alves, Pereira, Lima, Gomes, Costa, Ribeiro, Martins, Carvalho, Almeida, Lopes, Soares, Fernandes, Vieira, Barbosa, Rocha, Dias, Nascimento, Andrade, Moreira, Nunes, Marques, Machado, Mendes, Freitas, Cardoso, Ramos, Gonçalves, Santana, Teixeira, Araújo, Conceição, Batista, Castro, Melo, Cavalcanti, Monteiro, Moura, Correia, Pinto, Azevedo, Campos, Cunha, Borges, Assunção",
		male:     "José, João, Antônio, Francisco, Carlos, Paulo, Pedro, Lucas, Luiz, Marcos, Luís, Gabriel, Rafael, Daniel, Marcelo, Bruno, Eduardo, Felipe, Raimundo, Rodrigo, Matheus, Gustavo, Thiago, Leonardo, Vinícius",
		female:   "Maria, Ana, Francisca, Antônia, Adriana, Juliana, Márcia, Fernanda, Patrícia, Aline, Sandra, Camila, Amanda, Bruna, Jéssica, Letícia, Júlia, Luciana, Vanessa, Mariana, Gabriela, Bárbara, Débora, Cláudia, Lúcia"},
	{code: "PAK", share: 1.5, script: latin, secondGiven: 0.55, tokenVariants: arabicVariants,
		surnames: "Khan, Ahmed, Ali, Hussain, Shah, Malik, Iqbal, Butt, Akhtar, Raza, Qureshi, Chaudhry, Sheikh, Mahmood, Aslam, Javed, Rehman, Siddiqui, Abbasi, Mirza, Baig, Bhatti, Rana, Awan, Hashmi, Nawaz, Riaz, Anwar, Shahid, Zaidi",
		male:     "Muhammad=30, Ali, Ahmed, Hassan, Usman, Bilal, Imran, Asif, Kamran, Faisal, Zeeshan, Omar, Abdul, Tariq, Shahid, Nadeem, Waqas, Adnan, Junaid, Salman",
		female:   "Fatima, Ayesha, Maryam, Zainab, Sana, Amna, Hina, Saima, Nadia, Rabia, Bushra, Shazia, Sadia, Asma, Iqra, Khadija, Mehwish, Noor, Farah, Uzma"},
	{code: "SAU", share: 1.4, script: latin, secondGiven: 0.6, secondFromMale: true, tokenVariants: arabicVariants,
		surnames: "Al-Qahtani, Al-Ghamdi, Al-Otaibi, Al-Harbi, Al-Zahrani, Al-Dosari, Al-Shehri, Al-Mutairi, Al-Anazi, Al-Shammari, Al-Subaie, Al-Malki, Al-Omari, Al-Asmari, Al-Juhani, Al-Rashidi, Al-Amri, Al-Yami, Al-Qurashi, Al-Hamdan, Al-Sulaiman, Al-Faisal, Al-Rasheed, Al-Ahmadi, Al-Khaldi, Al-Balawi, Al-Ruwaili, Al-Sharif, Al-Hazmi, Al-Enezi",
		male:     "Mohammed=25, Abdullah, Abdulrahman, Fahad, Khalid, Saud, Faisal, Sultan, Turki, Nasser, Saad, Ahmed, Omar, Ali, Ibrahim, Abdulaziz, Bandar, Majed, Meshal, Nawaf, Yousef, Hamad, Salman, Waleed, Mansour",
		female:   "Noura, Sara, Fatimah, Aisha, Reem, Hessa, Lama, Nouf, Maha, Haifa, Mashael, Abeer, Amal, Huda, Lulwa, Munira, Asma, Shahad, Ghada, Latifa"},
	{code: "SRB", share: 1.3, script: cyrillic, variants: []variant{serbianLatin, serbianASCII, serbianEnglish},
		surnames: "Јовановић, Петровић, Николић, Марковић, Ђорђевић, Стојановић, Илић, Станковић, Павловић, Милошевић, Поповић, Ђурић, Јовић, Тодоровић, Ристић, Михајловић, Антић, Савић, Стевановић, Ковачевић, Лазић, Митровић, Младеновић, Живковић, Томић, Ђокић, Радовановић, Филиповић, Пантић, Васић",
		male:     "Никола, Марко, Стефан, Милош, Лазар, Александар, Душан, Небојша, Драган, Зоран, Горан, Дејан, Милан, Ненад, Владимир, Јован, Ђорђе, Вук",
		female:   "Милица, Јелена, Ана, Марија, Драгана, Јована, Ивана, Тијана, Катарина, Снежана, Љиљана, Сања, Гордана, Наташа, Бојана"},
	{code: "BGR", share: 1.2, script: cyrillic, feminine: feminineBulgarian, variants: []variant{bulgarianStreamlined, bulgarianICAO},
		surnames: "Иванов, Георгиев, Димитров, Петров, Николов, Христов, Стоянов, Тодоров, Илиев, Василев, Атанасов, Петков, Ангелов, Колев, Йорданов, Маринов, Стефанов, Попов, Михайлов, Кръстев, Костов, Димов, Павлов, Митев, Симеонов, Цветков, Александров, Русев, Янков, Славов, Вълчев, Бъчваров",
		male:     "Георги, Иван, Димитър, Николай, Петър, Христо, Стоян, Тодор, Йордан, Васил, Атанас, Стефан, Александър, Красимир, Мартин",
		female:   "Мария, Иванка, Елена, Йорданка, Пенка, Даниела, Цветанка, Радка, Снежана, Надежда, Гергана, Десислава, Виктория, Петя, Николина"},
	{code: "BLR", share: 1.2, script: cyrillic, feminine: feminineBelarusian, variants: []variant{belarusianNational, belarusianLacinka},
		surnames: "Іваноў, Новік, Шэўчук, Кавалёў, Кавальчук, Ткачук, Мельнік, Козел, Шарко, Лукашэвіч, Казлоў, Марозаў, Ламака, Бондар, Кузьміч, Карповіч, Мацкевіч, Жук, Петрашэвіч, Пашкевіч, Васілеўскі, Васільеў, Кавалеўскі, Сідарэнка, Грыневіч",
		male:     "Аляксандр, Сяргей, Андрэй, Дзмітрый, Уладзімір, Віктар, Мікалай, Іван, Аляксей, Юрый, Павел, Міхаіл, Ігар, Антон, Максім",
		female:   "Алена, Вольга, Наталля, Таццяна, Ірына, Святлана, Ганна, Марыя, Людміла, Юлія, Галіна, Кацярына, Вікторыя, Настасся, Алеся"},
	{code: "GRC", share: 1, script: greek, variants: []variant{greekELOT, greekPopular},
		surnames: "Παπαδόπουλος|Παπαδοπούλου, Παπαδάκης|Παπαδάκη, Γεωργίου, Οικονόμου, Νικολάου, Παπανικολάου, Βασιλείου, Δημητρίου, Ιωάννου, Κωνσταντίνου, Παππάς|Παππά, Μακρής|Μακρή, Αθανασίου, Παπαγεωργίου, Χριστοδούλου, Αντωνίου, Αλεξίου, Καραγιάννης|Καραγιάννη, Νικολαΐδης|Νικολαΐδου, Παπαδημητρίου, Μιχαηλίδης|Μιχαηλίδου, Γεωργιάδης|Γεωργιάδου, Παπαϊωάννου, Σταματόπουλος|Σταματοπούλου, Κωνσταντινίδης|Κωνσταντινίδου, Αγγελόπουλος|Αγγελοπούλου, Δημόπουλος|Δημοπούλου, Πετρόπουλος|Πετροπούλου, Ζαχαρίου, Λαμπρόπουλος|Λαμπροπούλου",
		male:     "Γεώργιος, Ιωάννης, Κωνσταντίνος, Δημήτριος, Νικόλαος, Παναγιώτης, Βασίλειος, Χρήστος, Αθανάσιος, Μιχαήλ, Ευάγγελος, Σπυρίδων, Αντώνιος, Ανδρέας, Θεόδωρος, Ηλίας, Άγγελος, Σταύρος",
		female:   "Μαρία, Ελένη, Αικατερίνη, Βασιλική, Σοφία, Αγγελική, Γεωργία, Δήμητρα, Κωνσταντίνα, Παναγιώτα, Ευαγγελία, Ειρήνη, Χριστίνα, Αναστασία, Ιωάννα, Θεοδώρα, Φωτεινή, Δέσποινα"},
	{code: "PRT", share: 0.9, script: latin, doubleSurname: 0.7, secondGiven: 0.4, variants: []variant{foldPlain},
		surnames: "Silva, Santos, Ferreira, Pereira, Oliveira, Costa, Rodrigues, Martins, Jesus, Sousa, Fernandes, Gonçalves, Gomes, Lopes, Marques, Alves, Almeida, Ribeiro, Pinto, Carvalho, Teixeira, Moreira, Correia, Mendes, Nunes, Soares, Vieira, Monteiro, Cardoso, Rocha, Neves, Coelho, Cruz, Cunha, Pires, Ramos, Reis, Simões, Antunes, Matos, Fonseca, Magalhães, Brandão, Conceição, Araújo",
		male:     "João, José, António, Francisco, Manuel, Pedro, Luís, Carlos, Paulo, Miguel, Rui, Tiago, Nuno, Ricardo, Jorge, Diogo, Gonçalo, Rodrigo, Duarte, Afonso",
		female:   "Maria, Ana, Joana, Sofia, Inês, Beatriz, Mariana, Catarina, Rita, Sara, Marta, Filipa, Leonor, Matilde, Conceição, Fátima, Luísa, Helena, Teresa, Rosário"},
	{code: "NLD", share: 0.9, script: latin, secondGiven: 0.4, variants: []variant{dutchParticles, foldPlain},
		surnames: "de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Janssen, Visser, Smit, Meijer, de Boer, Mulder, de Groot, Bos, Vos, Peters, Hendriks, van Leeuwen, Dekker, Brouwer, de Wit, Dijkstra, Smits, de Graaf, van der Meer, van der Linden, Kok, Jacobs, de Haan, Vermeulen, van den Heuvel, van der Veen, van den Broek, de Bruijn, de Bruin, van der Heijden, Schouten, van Beek, Willems, van Vliet",
		male:     "Jan, Johannes, Cornelis, Hendrik, Willem, Pieter, Gerrit, Jacobus, Peter, Hans, Dirk, Kees, Bram, Daan, Sem, Lucas, Levi, Thijs, Joris, Sjoerd",
		female:   "Maria, Johanna, Anna, Wilhelmina, Cornelia, Elisabeth, Hendrika, Sanne, Lisa, Anne, Emma, Julia, Fenna, Tess, Sophie, Femke, Inge, Marieke, Ingrid, Anouk, Chloë"},
	{code: "CZE", share: 0.8, script: latin, feminine: feminineCzechSlovak, variants: []variant{foldPlain},
		surnames: "Novák, Svoboda, Novotný, Dvořák, Černý, Procházka, Kučera, Veselý, Horák, Němec|Němcová, Marek, Pospíšil, Pokorný, Hájek, Král, Jelínek, Růžička, Beneš, Fiala, Sedláček, Doležal, Zeman, Kolář, Navrátil, Čermák, Vaněk|Vaňková, Urban, Blažek, Kříž, Kovář, Kratochvíl, Bartoš, Vlček, Polák, Musil, Kopecký, Šimek, Konečný, Malý, Holub",
		male:     "Jiří, Jan, Petr, Josef, Pavel, Martin, Jaroslav, Tomáš, Miroslav, Zdeněk, František, Václav, Michal, Karel, Milan, Vladimír, Lukáš, David, Jakub, Ondřej",
		female:   "Marie, Jana, Eva, Hana, Anna, Lenka, Kateřina, Věra, Lucie, Alena, Petra, Jaroslava, Ludmila, Helena, Veronika, Jitka, Martina, Tereza, Zdeňka, Michaela"},
	{code: "HUN", share: 0.8, script: latin, variants: []variant{foldPlain},
		surnames: "Nagy, Kovács, Tóth, Szabó, Horváth, Varga, Kiss, Molnár, Németh, Farkas, Balogh, Papp, Takács, Juhász, Lakatos, Mészáros, Oláh, Simon, Rácz, Fekete, Szilágyi, Török, Fehér, Balázs, Gál, Kis, Szűcs, Kocsis, Orsós, Pintér, Fodor, Szalai, Sipos, Magyar, Lukács, Gulyás, Biró, Király, Katona, László",
		male:     "László, István, József, János, Zoltán, Sándor, Gábor, Ferenc, Attila, Péter, Tamás, Zsolt, Tibor, András, Csaba, Imre, Lajos, György, Balázs, Gyula",
		female:   "Mária, Erzsébet, Katalin, Éva, Ilona, Anna, Zsuzsanna, Margit, Judit, Ágnes, Andrea, Erika, Krisztina, Irén, Eszter, Mónika, Edit, Gabriella, Szilvia, Anita, Jolán"},
	{code: "AUT", share: 0.7, script: latin, secondGiven: 0.3, variants: []variant{foldGerman, foldPlain},
		surnames: "Gruber, Huber, Bauer, Wagner, Müller, Pichler, Steiner, Moser, Mayer, Hofer, Leitner, Berger, Fuchs, Eder, Fischer, Schmid, Winkler, Weber, Schwarz, Maier, Schneider, Reiter, Mayr, Schmidt, Wimmer, Egger, Brunner, Lang, Baumgartner, Auer, Binder, Lechner, Wolf, Wallner, Aigner, Ebner, Koller, Lehner, Haas, Schuster, Pöltl, Hölzl, Strauß",
		male:     "Thomas, Michael, Andreas, Christian, Stefan, Markus, Martin, Peter, Josef, Johann, Franz, Wolfgang, Alexander, Daniel, Florian, Lukas, Jakob, Maximilian, Tobias, Dominik, Jürgen, Jörg",
		female:   "Maria, Anna, Elisabeth, Christina, Sabine, Barbara, Katharina, Julia, Andrea, Claudia, Monika, Theresa, Sarah, Lena, Johanna, Magdalena, Verena, Birgit, Karin, Ursula, Bärbel"},
	{code: "SVK", share: 0.5, script: latin, feminine: feminineCzechSlovak, variants: []variant{foldPlain},
		surnames: "Horváth, Kováč, Varga, Tóth, Nagy, Baláž, Szabó, Molnár, Balog, Lukáč, Novák, Kollár, Németh, Oravec|Oravcová, Hudák, Kováčik, Polák, Kučera, Sedlák, Kráľ, Šimko, Krajčír, Ďurica, Čierny, Gajdoš, Mihálik, Hric, Blaho, Mikuláš",
		male:     "Peter, Ján, Jozef, Martin, Michal, Tomáš, Marek, Lukáš, Milan, Ľubomír, Štefan, Juraj, Miroslav, Pavol, Vladimír",
		female:   "Mária, Anna, Zuzana, Katarína, Eva, Jana, Martina, Lucia, Ivana, Monika, Ľudmila, Alžbeta, Veronika, Helena"},
	{code: "CHE", share: 0.5, script: latin, secondGiven: 0.3, variants: []variant{foldGerman, foldPlain},
		surnames: "Müller, Meier, Schmid, Keller, Weber, Huber, Schneider, Meyer, Steiner, Fischer, Gerber, Brunner, Baumann, Frei, Zimmermann, Moser, Widmer, Wyss, Graf, Roth, Bernasconi, Rossi, Favre, Rochat, Perrin, Morel, Bürki, Zürcher, Schürch, Rüegg",
		male:     "Hans, Peter, Daniel, Thomas, Martin, Beat, Urs, Reto, Lukas, Luca, Marco, Jean, Pierre, Nicolas, Rémy",
		female:   "Maria, Ursula, Ruth, Verena, Anna, Sandra, Barbara, Daniela, Nicole, Monika, Laura, Sarah, Chantal, Élodie, Léa, Françoise"},
	{code: "SWE", share: 0.5, script: latin, secondGiven: 0.4, variants: []variant{foldPlain, foldGerman},
		surnames: "Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsson, Persson, Svensson, Gustafsson, Pettersson, Jonsson, Jansson, Hansson, Bengtsson, Jönsson, Lindberg, Jakobsson, Magnusson, Lindström, Olofsson, Lindqvist, Lindgren, Berg, Axelsson, Bergström, Lundberg, Lind, Lundgren, Lundqvist, Mattsson, Berglund, Fredriksson, Sandberg, Henriksson, Forsberg, Sjöberg, Wallin, Engström, Danielsson, Håkansson, Åström, Öberg, Söderberg, Åberg, Sjögren",
		male:     "Lars, Mikael, Anders, Johan, Erik, Per, Karl, Peter, Jan, Thomas, Daniel, Fredrik, Hans, Bengt, Åke, Göran, Björn, Stefan, Mats, Magnus",
		female:   "Maria, Elisabeth, Anna, Kristina, Margareta, Eva, Linnéa, Karin, Birgitta, Marie, Ingrid, Sofia, Sara, Emma, Malin, Ulla, Åsa, Märta, Gunnel, Ingegärd"},
	{code: "DNK", share: 0.4, script: latin, secondGiven: 0.3, variants: []variant{foldPlain, foldGerman},
		surnames: "Nielsen, Jensen, Hansen, Pedersen, Andersen, Christensen, Larsen, Sørensen, Rasmussen, Jørgensen, Petersen, Madsen, Kristensen, Olsen, Thomsen, Christiansen, Poulsen, Johansen, Møller, Mortensen, Knudsen, Jakobsen, Mikkelsen, Frederiksen, Lauridsen, Henriksen, Laursen, Schmidt, Kjær, Østergaard, Bech, Dahl, Lund, Søndergaard, Holm",
		male:     "Peter, Jens, Lars, Michael, Henrik, Søren, Thomas, Jan, Niels, Anders, Morten, Jesper, Mads, Rasmus, Per, Ole, Frederik, Mikkel, Bjørn, Jørgen",
		female:   "Anne, Kirsten, Mette, Hanne, Anna, Helle, Susanne, Lene, Maria, Marianne, Inge, Pia, Karen, Lone, Bente, Camilla, Louise, Gitte, Signe, Birthe, Ida, Mathilde, Bodil"},
	{code: "NOR", share: 0.4, script: latin, secondGiven: 0.3, variants: []variant{foldPlain, foldGerman},
		surnames: "Hansen, Johansen, Olsen, Larsen, Andersen, Pedersen, Nilsen, Kristiansen, Jensen, Karlsen, Johnsen, Pettersen, Eriksen, Berg, Haugen, Hagen, Johannessen, Andreassen, Jacobsen, Dahl, Jørgensen, Halvorsen, Henriksen, Lund, Sørensen, Jakobsen, Moen, Gundersen, Iversen, Strand, Solberg, Svendsen, Eide, Knutsen, Martinsen, Paulsen, Bakken, Kristoffersen, Mathisen, Lie, Ødegård, Økland, Sæther, Bråten, Løken, Aasen, Røed",
		male:     "Jan, Per, Bjørn, Ole, Lars, Kjell, Knut, Svein, Arne, Thomas, Hans, Geir, Tor, Morten, Terje, Odd, Erik, Martin, Rune, Trond, Jørgen, Håkon, Øyvind, Ståle",
		female:   "Anne, Inger, Kari, Marit, Ingrid, Liv, Eva, Berit, Astrid, Bjørg, Hilde, Anna, Solveig, Marianne, Randi, Ida, Nina, Kristin, Åse, Tone, Gro, Målfrid, Siri, Sølvi"},
	{code: "FIN", share: 0.3, script: latin, secondGiven: 0.5, variants: []variant{foldPlain},
		surnames: "Korhonen, Virtanen, Mäkinen, Nieminen, Mäkelä, Hämäläinen, Laine, Heikkinen, Koskinen, Järvinen, Lehtonen, Lehtinen, Saarinen, Salminen, Heinonen, Niemi, Heikkilä, Kinnunen, Salonen, Turunen, Salo, Laitinen, Tuominen, Rantanen, Karjalainen, Jokinen, Mattila, Savolainen, Lahtinen, Ahonen",
		male:     "Juha, Timo, Matti, Kari, Mikko, Jari, Antti, Jukka, Mika, Markku, Pekka, Hannu, Heikki, Seppo, Janne, Ari, Sami, Petri, Ville, Jyrki",
		female:   "Maria, Helena, Johanna, Anneli, Kaarina, Marjatta, Anna, Liisa, Annikki, Tuula, Päivi, Sari, Anne, Pirjo, Leena, Riitta, Minna, Tiina, Sirpa, Hanna"},
	{code: "ISL", share: 0.1, script: latin, variants: []variant{foldPlain},
		surnames: "Jónsson|Jónsdóttir, Sigurðsson|Sigurðardóttir, Guðmundsson|Guðmundsdóttir, Gunnarsson|Gunnarsdóttir, Ólafsson|Ólafsdóttir, Einarsson|Einarsdóttir, Kristjánsson|Kristjánsdóttir, Magnússon|Magnúsdóttir, Stefánsson|Stefánsdóttir, Jóhannesson|Jóhannesdóttir, Björnsson|Björnsdóttir, Þórsson|Þórsdóttir, Árnason|Árnadóttir, Helgason|Helgadóttir, Halldórsson|Halldórsdóttir, Ragnarsson|Ragnarsdóttir, Bjarnason|Bjarnadóttir, Pétursson|Pétursdóttir, Kjartansson|Kjartansdóttir, Hauksson|Hauksdóttir, Thorarensen, Blöndal",
		male:     "Jón, Sigurður, Guðmundur, Gunnar, Ólafur, Einar, Kristján, Magnús, Stefán, Jóhann, Björn, Árni, Helgi, Halldór, Ragnar, Bjarni, Pétur, Kjartan, Haukur, Þór",
		female:   "Guðrún, Anna, Kristín, Sigríður, Margrét, Helga, Sigrún, Ingibjörg, Jóhanna, María, Katrín, Elín, Ólöf, Hildur, Ragnheiður, Þóra, Ásta, Auður, Bryndís, Erla"},
}

// arabicVariants are the Latin spellings of the same Arabic (or Urdu)
// names that different offices write.
var arabicVariants = variantGroups(
	"Mohammed, Muhammad, Mohamed, Mohammad, Mohamad, Muhammed",
	"Ahmed, Ahmad", "Mahmoud, Mahmud, Mahmood", "Mostafa, Mustafa, Moustafa, Mustapha",
	"Hussein, Hussain, Husain, Hossein", "Hassan, Hasan", "Youssef, Yousef, Yusuf, Youssouf",
	"Khaled, Khalid", "Omar, Umar, Omer", "Osama, Usama", "Ibrahim, Ebrahim, Brahim",
	"Abdullah, Abdallah, Abdellah", "Abdulrahman, Abdelrahman, Abdurrahman", "Abdulaziz, Abdelaziz",
	"Abdel, Abdul, Abd El", "Fatma, Fatima, Fatimah", "Aisha, Aicha, Aysha, Ayesha",
	"Said, Saeed, Saïd", "Nour, Noor, Nur", "Maryam, Mariam, Meryem", "Zainab, Zeinab, Zineb",
	"Karim, Kareem", "Rachid, Rashid, Rasheed", "Yassine, Yasin, Yassin", "Amine, Amin",
	"Hamid, Hameed", "Kadhim, Kazem, Kazim", "Tarek, Tariq, Tarik", "Walid, Waleed",
	"Hisham, Hicham, Hesham", "Hamza, Hamzah", "Jassim, Jasim", "Qasim, Kassem, Qassem",
	"Yaser, Yasser, Yassir", "Huda, Houda, Hoda", "Iman, Imane, Eman", "Asma, Asmaa, Asmae",
	"Salah, Salaheddine", "El, Al", "Sherif, Sharif", "Othman, Osman, Uthman", "Suleiman, Sulaiman, Soliman",
)

// chineseVariants are Wade–Giles and Cantonese spellings of pinyin surnames.
var chineseVariants = variantGroups(
	"Wang, Wong", "Zhang, Chang, Cheung", "Chen, Chan, Chin", "Li, Lee", "Liu, Lau", "Huang, Hwang, Wong",
	"Zhao, Chao, Chiu", "Wu, Woo, Ng", "Zhou, Chow, Chou", "Xu, Hsu, Tsui", "Sun, Suen", "Zhu, Chu",
	"Guo, Kuo, Kwok", "He, Ho", "Lin, Lam", "Gao, Kao, Ko", "Luo, Lo, Law", "Zheng, Cheng", "Liang, Leung",
	"Xie, Hsieh, Tse", "Song, Sung", "Tang, Tong", "Feng, Fung", "Deng, Teng", "Cao, Tsao, Cho",
	"Zeng, Tseng, Tsang", "Xiao, Hsiao, Siu", "Lü, Lyu, Lu, Lui", "Ye, Yeh, Yip", "Jiang, Chiang", "Su, Soo",
)
