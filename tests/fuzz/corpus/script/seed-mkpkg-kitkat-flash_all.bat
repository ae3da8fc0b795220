fastboot %* getvar product 2>&1 | findstr /r /c:"^product: *MSM8974" || echo Missmatching image and device
fastboot %* getvar product 2>&1 | findstr /r /c:"^product: *MSM8974" || exit /B 1
fastboot %* flash tz %~dp0images\tz.mbn
fastboot %* flash dbi %~dp0images\sdi.mbn
fastboot %* flash sbl1 %~dp0images\sbl1.mbn
fastboot %* flash rpm %~dp0images\rpm.mbn
fastboot %* flash aboot %~dp0images\emmc_appsboot.mbn
fastboot %* flash misc %~dp0images\misc.img
fastboot %* flash modem+modem1 %~dp0images\NON-HLOS.bin
fastboot %* flash logo %~dp0images\logo.bin
fastboot %* flash system+system1 %~dp0images\system.img
fastboot %* flash cache %~dp0images\cache.img
fastboot %* flash userdata %~dp0images\userdata.img
fastboot %* flash recovery %~dp0images\recovery.img
fastboot %* flash boot+boot1 %~dp0images\boot.img
fastboot %* reboot
