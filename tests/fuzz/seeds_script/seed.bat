fastboot %* getvar product 2>&1 | findstr /r /c:"^product: *piano" || @echo "x" && pause && exit /B 1
if exist "%~dp0images\anti_version.txt" (for /f "usebackq" %%a in ("%~dp0images\anti_version.txt") do (set CURRENT_ANTI_VER=%%a))
for /f "tokens=2 delims=: " %%i in ('fastboot %* getvar anti 2^>^&1 ^| findstr /r /c:"anti:"') do (set version=%%i)
set anticheck="pass"
if %version% GTR %CURRENT_ANTI_VER% set anticheck="no"
echo %anticheck% | findstr /r /c:"pass" || @echo "x" && exit /B 1
fastboot %* erase boot || @echo "e" && goto error
ping 127.0.0.1 -n 3 > nul
exit 0
:error
pause
exit /B 1
